"""Read dataflow documents (the seed format) into what they show: flows and rows.

The reader is strict about structure and lenient about the quirks real generated
documents have, each of which it repairs with a ``DocumentNote``:

- a flow section that repeats an earlier one exactly is read once;
- a blank system name in a section ("Webcrm Organisations to  Customer") is taken
  from the document title;
- system names are matched by display name or alias ("Custom Webshop");
- an empty table is an ordinary flow with no rows.

Anything else that does not fit raises ``DocumentError`` naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dataflows import format as fmt
from dataflows._lines import Lines
from schemas.catalog import SYSTEMS, SystemInfo, system_by_name
from schemas.dataflow import DataType, EntityRef
from schemas.paths import is_valid_path

__all__ = [
    "DocumentNote",
    "ParsedDocument",
    "ParsedFlow",
    "ParsedRow",
    "parse_document",
]

_KNOWN_SYSTEMS = ", ".join(info.display for info in SYSTEMS.values())
_KNOWN_TYPES = ", ".join(f'"{t.value}"' for t in DataType)


@dataclass(frozen=True)
class DocumentNote:
    """A quirk of the document that the reader repaired, with where it was."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class ParsedRow:
    """One table row: source path, target path and the target data type."""

    source: str
    target: str
    data_type: DataType
    line: int


@dataclass(frozen=True)
class ParsedFlow:
    """One flow section: the two entity types and the rows of its table."""

    source: EntityRef
    target: EntityRef
    rows: tuple[ParsedRow, ...]
    line: int


@dataclass(frozen=True)
class ParsedDocument:
    """Everything a document shows, plus the notes about repaired quirks."""

    source_system: str
    target_system: str
    source_display: str
    target_display: str
    generated: datetime
    flows: tuple[ParsedFlow, ...]
    notes: tuple[DocumentNote, ...]


def parse_document(text: str, *, path: str = "<document>") -> ParsedDocument:
    """Read one document.

    Raises:
        DocumentError: the document does not follow the format; the message names
            the line and what was expected there.
    """
    lines = Lines(text, path)
    reader = _Reader(lines)
    return reader.document()


class _Reader:
    """A one-pass reader over the document's lines."""

    def __init__(self, lines: Lines) -> None:
        self.lines = lines
        self.notes: list[DocumentNote] = []
        self.spelled: dict[str, str] = {}  # system id -> the title's spelling

    def note(self, line: int, message: str) -> None:
        self.notes.append(DocumentNote(self.lines.path, line, message))

    def document(self) -> ParsedDocument:
        source_display, target_display, title_line = self.title()
        source_info = self.system(source_display, title_line)
        target_info = self.system(target_display, title_line)
        self.spelled = {source_info.id: source_display, target_info.id: target_display}
        generated = self.generated()
        flows: dict[tuple[EntityRef, EntityRef], ParsedFlow] = {}
        first = True
        while self.lines.skip_blank():
            title, number = self.lines.heading()
            if first and title == fmt.INTRODUCTION:
                self.lines.skip_to_next_heading()
                first = False
                continue
            first = False
            flow = self.section(title, number, source_info, target_info)
            key = (flow.source, flow.target)
            earlier = flows.get(key)
            if earlier is None:
                flows[key] = flow
            elif _same_rows(earlier, flow):
                message = f"section {title!r} repeats the one at line {earlier.line};"
                self.note(number, f"{message} read once")
            else:
                message = (
                    f"section {title!r} repeats the one at line {earlier.line} with"
                    " different rows; keep one of them"
                )
                raise self.lines.error(number, message)
        if not flows:
            raise self.lines.error(self.lines.last, "the document has no flow sections")
        return ParsedDocument(
            source_system=source_info.id,
            target_system=target_info.id,
            source_display=source_display,
            target_display=target_display,
            generated=generated,
            flows=tuple(flows.values()),
            notes=tuple(self.notes),
        )

    def title(self) -> tuple[str, str, int]:
        expected = (
            "the document title, '<Source> to <Target> Dataflow' under a '=' rule"
        )
        if not self.lines.skip_blank():
            raise self.lines.error(1, f"the document is empty; expected {expected}")
        number, overline = self.lines.take()
        if not fmt.TITLE_RULE.match(overline):
            raise self.lines.error(number, f"expected {expected}")
        number, title = self.lines.take_or_fail(expected)
        rule_number, underline = self.lines.take_or_fail("the title's '=' underline")
        if underline != overline:
            message = "the title's '=' underline must match its overline"
            raise self.lines.error(rule_number, message)
        if len(underline) < len(title):
            message = (
                f"the title's '=' rules are too short ({len(underline)} characters for"
                f" a title of {len(title)})"
            )
            raise self.lines.error(rule_number, message)
        body = title.removesuffix(fmt.TITLE_SUFFIX)
        parts = body.split(" to ")
        if body == title or len(parts) != 2 or not all(p.strip() for p in parts):
            message = (
                f"the title must read '<Source> to <Target> Dataflow', not {title!r}"
            )
            raise self.lines.error(number, message)
        return fmt.collapse(parts[0]), fmt.collapse(parts[1]), number

    def system(self, name: str, number: int) -> SystemInfo:
        info = system_by_name(name)
        if info is None:
            message = f"unknown system {name!r}; known: {_KNOWN_SYSTEMS}"
            raise self.lines.error(number, message)
        return info

    def generated(self) -> datetime:
        expected = "'Generated: YYYY-MM-DD HH:MM:SS'"
        if not self.lines.skip_blank():
            raise self.lines.error(self.lines.last, f"expected {expected}")
        number, line = self.lines.take()
        label, _, stamp = line.partition(":")
        if label != "Generated":
            raise self.lines.error(number, f"expected {expected}, not {line!r}")
        try:
            return datetime.strptime(stamp.strip(), fmt.GENERATED_FORMAT)  # noqa: DTZ007 - the document gives no zone
        except ValueError:
            message = f"the generated time {stamp.strip()!r} is not YYYY-MM-DD HH:MM:SS"
            raise self.lines.error(number, message) from None

    def section(
        self, title: str, number: int, source: SystemInfo, target: SystemInfo
    ) -> ParsedFlow:
        parts = title.split(" to ")
        if len(parts) != 2:
            message = (
                "a flow section's title must read '<Source> <Type> to <Target> <Type>',"
                f" not {title!r}"
            )
            raise self.lines.error(number, message)
        source_ref = self.side(parts[0], source, "source", number)
        target_ref = self.side(parts[1], target, "target", number)
        left, right = fmt.collapse(parts[0]), fmt.collapse(parts[1])
        for expected in fmt.sentences(left, right):
            self.lines.expect_paragraph(expected)
        directive = self.lines.expect_paragraph(fmt.LIST_TABLE)
        self.lines.expect_option(fmt.HEADER_ROWS)
        rows = self.lines.table(directive)
        header_number, header = rows[0]
        target_system = " ".join(parts[1].split()[:-1])
        labels = tuple(
            fmt.collapse(c) for c in fmt.header_cells(left, right, target_system)
        )
        if tuple(fmt.collapse(c) for c in header) != labels:
            shown = " | ".join(labels)
            message = f"the table's header row must read {shown}"
            raise self.lines.error(header_number, message)
        parsed = [self.row(cells, line) for line, cells in rows[1:]]
        seen: dict[tuple[str, str], int] = {}
        for row in parsed:
            key = (row.source, row.target)
            if key in seen:
                message = (
                    f"the row {row.source} -> {row.target} repeats line {seen[key]}"
                )
                raise self.lines.error(row.line, message)
            seen[key] = row.line
        return ParsedFlow(source_ref, target_ref, tuple(parsed), number)

    def side(self, raw: str, expected: SystemInfo, role: str, number: int) -> EntityRef:
        words = raw.split()
        if not words:
            message = f"the {role} side of the section title names no entity type"
            raise self.lines.error(number, message)
        entity_type, system_name = words[-1], " ".join(words[:-1])
        if not system_name:
            message = (
                f"the {role} system name is blank; taken from the document title:"
                f" {self.spelled.get(expected.id, expected.display)}"
            )
            self.note(number, message)
            info = expected
        else:
            info = self.system(system_name, number)
        if info.id != expected.id:
            message = (
                f"the section's {role} system {system_name!r} is not the document's"
                f" ({expected.display})"
            )
            raise self.lines.error(number, message)
        if entity_type not in info.types:
            message = (
                f"unknown type {entity_type!r} of {info.display}; known:"
                f" {', '.join(info.types)}"
            )
            raise self.lines.error(number, message)
        return EntityRef(system=info.id, type=entity_type)

    def row(self, cells: list[str], number: int) -> ParsedRow:
        source, target, data_type = (c.strip() for c in cells)
        for role, value in (("source", source), ("target", target)):
            if not is_valid_path(value):
                message = (
                    f"the {role} path {value!r} is not a dotted property path"
                    " (e.g. address.country or addresses.0.street)"
                )
                raise self.lines.error(number, message)
        quoted = len(data_type) >= 2 and data_type[0] == data_type[-1] == '"'
        if not quoted:
            message = f'the data type {data_type!r} must be quoted, e.g. "string"'
            raise self.lines.error(number, message)
        try:
            parsed = DataType(data_type[1:-1])
        except ValueError:
            message = f"unknown data type {data_type}; known: {_KNOWN_TYPES}"
            raise self.lines.error(number, message) from None
        return ParsedRow(source, target, parsed, number)


def _same_rows(first: ParsedFlow, second: ParsedFlow) -> bool:
    def key(flow: ParsedFlow) -> list[tuple[str, str, DataType]]:
        return [(r.source, r.target, r.data_type) for r in flow.rows]

    return key(first) == key(second)
