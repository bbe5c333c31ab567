"""Turn read dataflow documents into flow definitions (``tether import``).

A document shows each flow's two entity types and its property rows (source path,
target path, target data type). What the format cannot carry comes from the
existing definition of the same flow (same source and target entity types):

- the flow's name, match keys, target mode and delete policy;
- per row (same source and target path): its origin, source type and references.

A flow with no existing definition gets defaults: the conventional name, no match
keys, delete policy "unlink" and the target mode ``DEFAULT_TARGET_MODES`` gives for
targets the real APIs cannot create. A row new to tether gets ``new_row_origin``
("seed" by default: it comes from an outside document). Rows the document does not
show are not kept: the document is the authority on which properties a flow maps.
So importing what ``tether docs`` wrote gives back the same definitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from connectors.errors import DocumentError
from dataflows import format as fmt
from dataflows.parse import (
    DocumentNote,
    ParsedDocument,
    ParsedFlow,
    parse_document,
)
from schemas.catalog import SYSTEMS
from schemas.dataflow import (
    DataflowDocument,
    DeletePolicy,
    EntityRef,
    Flow,
    PropertyRow,
    RowOrigin,
    TargetMode,
)

FlowKey = tuple[str, str, str, str]

# Targets the real APIs do not let tether create (systems.md §0, DESIGN.md rule 8).
DEFAULT_TARGET_MODES: dict[tuple[str, str], TargetMode] = {
    ("chargebee", "Business_entity"): TargetMode.LOOKUP_ONLY,
    ("chargebee", "Order"): TargetMode.LOOKUP_ONLY,
    ("membercare", "Countries"): TargetMode.VALUE_KEYED,
    ("membercare", "Products"): TargetMode.LOOKUP_ONLY,
    ("membercare", "Invoices"): TargetMode.LOOKUP_ONLY,
}


@dataclass(frozen=True)
class ImportResult:
    """The definitions read from one document, and what the reader repaired."""

    document: DataflowDocument
    notes: tuple[DocumentNote, ...]
    defaulted: tuple[str, ...]  # flows with no existing definition: review them


def flow_key(source: EntityRef, target: EntityRef) -> FlowKey:
    """The identity of a flow across documents and definitions."""
    return (source.system, source.type, target.system, target.type)


def index_flows(documents: Iterable[DataflowDocument]) -> dict[FlowKey, Flow]:
    """Existing flows by their source and target entity types."""
    return {
        flow_key(flow.source, flow.target): flow
        for document in documents
        for flow in document.flows
    }


def read_document(path: Path) -> ParsedDocument:
    """Read and parse the document at ``path``.

    Raises:
        DocumentError: the file cannot be read, is not UTF-8, or is malformed.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"cannot read the document: {exc.strerror or exc}"
        raise DocumentError(msg, path=str(path), line=1) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        msg = f"the document is not UTF-8 text (byte {exc.start})"
        raise DocumentError(msg, path=str(path), line=line) from exc
    return parse_document(text, path=str(path))


def to_definitions(
    parsed: ParsedDocument,
    existing: Mapping[FlowKey, Flow],
    *,
    new_row_origin: RowOrigin = RowOrigin.SEED,
) -> ImportResult:
    """The definitions for ``parsed``, completed from ``existing`` flows."""
    flows: list[Flow] = []
    defaulted: list[str] = []
    for shown in parsed.flows:
        known = existing.get(flow_key(shown.source, shown.target))
        flow = _flow(shown, known, new_row_origin)
        if known is None:
            defaulted.append(flow.name)
        flows.append(flow)
    document = DataflowDocument(
        source_system=parsed.source_system,
        target_system=parsed.target_system,
        flows=flows,
        source_display=_override(parsed.source_system, parsed.source_display),
        target_display=_override(parsed.target_system, parsed.target_display),
    )
    return ImportResult(document, parsed.notes, tuple(defaulted))


def import_file(
    path: Path,
    existing: Mapping[FlowKey, Flow],
    *,
    new_row_origin: RowOrigin = RowOrigin.SEED,
) -> ImportResult:
    """Read the document at ``path`` into definitions (see ``to_definitions``)."""
    return to_definitions(read_document(path), existing, new_row_origin=new_row_origin)


def definitions_header(
    source_name: str, result: ImportResult, origin: RowOrigin
) -> str:
    """The comment that opens a definitions file written by ``tether import``."""
    lines = [
        f"Imported by `tether import` from {source_name}.",
        "Rows tether already defined keep their origin; rows new to tether have",
        f'origin "{origin.value}". Match keys, target mode, delete policy, source',
        "types and references come from the existing definitions of the same flow.",
    ]
    if result.defaulted:
        lines.append(
            "No definition existed for these flows; they got defaults to review:"
        )
        lines += [f"  {name}" for name in result.defaulted]
    return "\n".join(lines)


def _flow(shown: ParsedFlow, known: Flow | None, origin: RowOrigin) -> Flow:
    old_rows = {(r.source, r.target): r for r in known.properties} if known else {}
    rows: list[PropertyRow] = []
    for row in shown.rows:
        old = old_rows.get((row.source, row.target))
        base: dict[str, object] = old.model_dump() if old else {"origin": origin}
        base.update(source=row.source, target=row.target, data_type=row.data_type)
        rows.append(PropertyRow.model_validate(base))
    if known is not None:
        return Flow(
            name=known.name,
            source=shown.source,
            target=shown.target,
            properties=rows,
            match_keys=known.match_keys,
            target_mode=known.target_mode,
            delete_policy=known.delete_policy,
        )
    mode = DEFAULT_TARGET_MODES.get((shown.target.system, shown.target.type))
    return Flow(
        name=fmt.flow_name(shown.source, shown.target),
        source=shown.source,
        target=shown.target,
        properties=rows,
        target_mode=mode or TargetMode.ENTITY,
        delete_policy=DeletePolicy.UNLINK,
    )


def _override(system: str, spelled: str) -> str | None:
    info = SYSTEMS[system]
    # Keep only spellings the definitions accept; any other (odd case, spacing) is
    # the same system under its catalog name.
    return spelled if spelled in info.aliases else None
