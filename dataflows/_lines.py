"""Line-level reading of a dataflow document: headings, paragraphs and list-tables."""

from __future__ import annotations

import re

from connectors.errors import DocumentError
from dataflows import format as fmt

_ROW = re.compile(r"^(?P<indent>[ ]+)\* -(?: (?P<text>.*))?$")
_CELL = re.compile(r"^(?P<indent>[ ]+)-(?: (?P<text>.*))?$")
_CELLS_PER_ROW = 3


class Lines:
    """The document's lines with a cursor; line numbers are 1-based."""

    def __init__(self, text: str, path: str) -> None:
        # Trailing white space is invisible in the rendered document: ignore it.
        self.items = [line.rstrip() for line in text.splitlines()]
        self.path = path
        self.pos = 0

    @property
    def last(self) -> int:
        """The number of the last line (1 for an empty document)."""
        return max(len(self.items), 1)

    def error(self, line: int, message: str) -> DocumentError:
        """An error at ``line`` of this document."""
        return DocumentError(message, path=self.path, line=line)

    def skip_blank(self) -> bool:
        """Move past blank lines; True when a non-blank line remains."""
        while self.pos < len(self.items) and not self.items[self.pos]:
            self.pos += 1
        return self.pos < len(self.items)

    def take(self) -> tuple[int, str]:
        """The current line and its number; moves past it."""
        line = self.items[self.pos]
        self.pos += 1
        return self.pos, line

    def take_or_fail(self, expected: str) -> tuple[int, str]:
        """Like ``take``, but a missing line is an error naming what was expected."""
        if self.pos >= len(self.items):
            raise self.error(self.last, f"the document ends where {expected} belongs")
        return self.take()

    def _is_heading_at(self, index: int) -> bool:
        if index + 1 >= len(self.items):
            return False
        title, rule = self.items[index], self.items[index + 1]
        return bool(title.strip()) and bool(fmt.SECTION_RULE.match(rule))

    def heading(self) -> tuple[str, int]:
        """Read a section title and its '-' underline at the current line."""
        number = self.pos + 1
        if not self._is_heading_at(self.pos):
            found = self.items[self.pos]
            message = f"expected a section title underlined with '-', not {found!r}"
            raise self.error(number, message)
        # A title may start with a space when its source system name is blank (a
        # generator quirk the parser repairs), so indentation is not refused here.
        title, rule = self.items[self.pos], self.items[self.pos + 1]
        if len(rule) < len(title):
            message = (
                f"the section title's underline is too short ({len(rule)} characters"
                f" for a title of {len(title)})"
            )
            raise self.error(number + 1, message)
        self.pos += 2
        return title, number

    def skip_to_next_heading(self) -> None:
        """Move to the next section title, or to the end."""
        while self.pos < len(self.items) and not self._is_heading_at(self.pos):
            self.pos += 1

    def expect_paragraph(self, expected: str) -> int:
        """Read one paragraph (up to a blank or indented line) equal to ``expected``."""
        if not self.skip_blank():
            raise self.error(self.last, f"the document ends where {expected!r} belongs")
        number = self.pos + 1
        words: list[str] = []
        while self.pos < len(self.items):
            line = self.items[self.pos]
            if not line or line[0] == " ":
                break
            words.append(line)
            self.pos += 1
        if fmt.collapse(" ".join(words)) != expected:
            found = fmt.collapse(" ".join(words)) or self.items[number - 1].strip()
            raise self.error(number, f"expected {expected!r}, not {found!r}")
        return number

    def expect_option(self, option: str) -> None:
        """Read the directive's only option line, then the blank line after it."""
        number = self.pos + 1
        line = self.items[self.pos] if self.pos < len(self.items) else ""
        if not line.startswith(" ") or fmt.collapse(line) != option:
            found = repr(fmt.collapse(line)) if line.strip() else "a blank line"
            message = f"the list-table needs the option {option!r} here, not {found}"
            raise self.error(number, message)
        self.pos += 1
        line = self.items[self.pos] if self.pos < len(self.items) else ""
        if line.strip().startswith(":"):
            message = f"unsupported list-table option {line.strip()!r}; only {option!r}"
            raise self.error(self.pos + 1, message)
        if line:
            message = "the list-table options must be followed by a blank line"
            raise self.error(self.pos + 1, message)

    def table(self, directive_line: int) -> list[tuple[int, list[str]]]:
        """Read the list-table body: each row's line number and its cells' text."""
        rows: list[tuple[int, list[str]]] = []
        indent: str | None = None
        while self.pos < len(self.items):
            line = self.items[self.pos]
            if (line and line[0] != " ") or self._is_heading_at(self.pos):
                break
            self.pos += 1
            if not line:
                continue
            number = self.pos
            row, cell = _ROW.match(line), _CELL.match(line)
            if row and (indent is None or row["indent"] == indent):
                indent = row["indent"]
                rows.append((number, [row["text"] or ""]))
            elif (
                cell and rows and indent is not None and cell["indent"] == indent + "  "
            ):
                rows[-1][1].append(cell["text"] or "")
            elif not rows and cell:
                raise self.error(number, "a list-table row must start with '* -'")
            else:
                message = (
                    "broken list-table: expected a row ('* - <cell>') or a cell"
                    f" ('  - <cell>') in line with the rows above, not {line.strip()!r}"
                )
                raise self.error(number, message)
        if not rows:
            message = "the list-table has no header row"
            raise self.error(directive_line, message)
        for number, cells in rows:
            if len(cells) != _CELLS_PER_ROW:
                message = (
                    f"broken list-table: the row has {len(cells)} cells; each row needs"
                    " 3 (source property, target property, data type)"
                )
                raise self.error(number, message)
        return rows
