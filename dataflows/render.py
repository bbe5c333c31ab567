"""Write flow definitions as dataflow documents (reStructuredText, the seed format).

``render_document`` gives one document per ``DataflowDocument``: the title block, a
"Generated:" line, tether's own introduction and one section per flow. With
``seed_rows_only`` each table lists only the rows that came from the seed documents,
so its flow sections can be compared with the seeds' character for character.
"""

from __future__ import annotations

from datetime import datetime

from dataflows import format as fmt
from schemas.dataflow import DataflowDocument, Flow, PropertyRow, RowOrigin

INTRODUCTION_TEXT = (
    "This document lists the flows tether keeps in sync from {source} to {target}."
    " Each section names the two entity types of one flow and the properties it"
    " maps, with the data type each value takes in {target}. It is generated from"
    " tether's flow definitions and serves as a checklist when testing a deployment."
)


def render_document(
    document: DataflowDocument,
    *,
    generated: datetime | str,
    seed_rows_only: bool = False,
) -> str:
    """The whole document for ``document``, ending with a newline.

    Raises:
        ValueError: a flow's systems are not the document's, or a generated time
            string is not ``YYYY-MM-DD HH:MM:SS``.
    """
    stamp = _generated(generated)
    source, target = document.source_name, document.target_name
    title = f"{document.title}{fmt.TITLE_SUFFIX}"
    rule = "=" * len(title)
    head = "\n".join(
        [
            rule,
            title,
            rule,
            "",
            f"Generated: {stamp}",
            "",
            fmt.INTRODUCTION,
            "-" * len(fmt.INTRODUCTION),
            "",
            INTRODUCTION_TEXT.format(source=source, target=target),
            "",
            "",
        ]
    )
    sections = [
        render_section(document, flow, seed_rows_only=seed_rows_only)
        for flow in document.flows
    ]
    # Sections are separated by two blank lines and the document ends with one,
    # exactly as the generated seeds are laid out.
    return head + "\n\n".join(sections) + "\n"


def render_section(
    document: DataflowDocument, flow: Flow, *, seed_rows_only: bool = False
) -> str:
    """One flow's section, from its heading to its last table line (with newline)."""
    if (flow.source.system, flow.target.system) != (
        document.source_system,
        document.target_system,
    ):
        msg = (
            f"flow {flow.name} runs from {flow.source.system} to {flow.target.system},"
            f" not within the document {document.title}"
        )
        raise ValueError(msg)
    target_system = document.target_name
    source = fmt.side(document.source_name, flow.source.type)
    target = fmt.side(target_system, flow.target.type)
    title = fmt.heading(source, target)
    first, second, third = fmt.sentences(source, target)
    lines = [title, "-" * len(title), first, "", second, "", third, ""]
    lines += [fmt.LIST_TABLE, fmt.ROW_INDENT + fmt.HEADER_ROWS, ""]
    lines += _row(fmt.header_cells(source, target, target_system))
    for row in rows_of(flow, seed_rows_only=seed_rows_only):
        lines += _row((row.source, row.target, f'"{row.data_type.value}"'))
    return "\n".join(lines) + "\n"


def rows_of(flow: Flow, *, seed_rows_only: bool = False) -> list[PropertyRow]:
    """The rows a document shows for ``flow``."""
    if seed_rows_only:
        return [r for r in flow.properties if r.origin is RowOrigin.SEED]
    return list(flow.properties)


def _row(cells: tuple[str, str, str]) -> list[str]:
    first, *rest = cells
    return [f"{fmt.ROW_INDENT}* - {first}"] + [f"{fmt.CELL_INDENT}- {c}" for c in rest]


def _generated(value: datetime | str) -> str:
    if isinstance(value, datetime):
        return value.strftime(fmt.GENERATED_FORMAT)
    # Parse to refuse anything the reader would not accept back.
    return datetime.strptime(value, fmt.GENERATED_FORMAT).strftime(  # noqa: DTZ007 - a label, no zone
        fmt.GENERATED_FORMAT
    )
