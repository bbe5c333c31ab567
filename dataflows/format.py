"""The dataflow document format: fixed sentences and labels, shared by render and parse.

A dataflow document is reStructuredText in the layout Sesam Talk generates for its
QA checklists::

    ===============================
    <Source> to <Target> Dataflow
    ===============================

    Generated: YYYY-MM-DD HH:MM:SS

    Introduction
    ------------

    <free text>

    <Source> <Type> to <Target> <Type>
    ----------------------------------
    <three fixed sentences, see below>

    .. list-table::
       :header-rows: 1

       * - <Source> <Type> Property
         - <Target> <Type> Property
         - <Target> Data Type
       * - <source path>
         - <target path>
         - "<data type>"

Keeping the wording in one module means the writer and the reader cannot drift apart.
"""

from __future__ import annotations

import re

from schemas.catalog import SYSTEMS
from schemas.dataflow import EntityRef

GENERATED_FORMAT = "%Y-%m-%d %H:%M:%S"
TITLE_SUFFIX = " Dataflow"
INTRODUCTION = "Introduction"
ROW_INDENT = "   "
CELL_INDENT = ROW_INDENT + "  "
LIST_TABLE = ".. list-table::"
HEADER_ROWS = ":header-rows: 1"

# A line made only of one punctuation character: a title's over- or underline.
TITLE_RULE = re.compile(r"^=+$")
SECTION_RULE = re.compile(r"^-+$")


def side(system_name: str, entity_type: str) -> str:
    """How a section names one side of a flow: ``"Webcrm Organisations"``."""
    return f"{system_name} {entity_type}"


def heading(source: str, target: str) -> str:
    """A flow section's title, from the two sides as ``side()`` spells them."""
    return f"{source} to {target}"


def sentences(source: str, target: str) -> tuple[str, str, str]:
    """The three sentences every flow section carries, in order."""
    return (
        f"Every {source} will be synchronized with a {target}.",
        f"Once a link between a {source} and a {target} is established, it will keep"
        " in sync between the two systems, regardless of where it is edited.",
        f"The following properties are synchronized between a {source} and a {target}:",
    )


def header_cells(source: str, target: str, target_system: str) -> tuple[str, str, str]:
    """The list-table's header row: the two sides' property columns and the type."""
    return (f"{source} Property", f"{target} Property", f"{target_system} Data Type")


def display_name(system: str, override: str | None = None) -> str:
    """The display name of ``system``, or the document's own spelling of it."""
    return override or SYSTEMS[system].display


def flow_name(source: EntityRef, target: EntityRef) -> str:
    """The conventional flow name, ``<source>-<type>-to-<target>-<type>`` lower-case."""
    raw = f"{source.system}-{source.type}-to-{target.system}-{target.type}"
    return raw.lower().replace("_", "-")


def document_name(source_system: str, target_system: str) -> str:
    """The file stem of a document and its definitions: ``webcrm-customcrm``."""
    return f"{source_system}-{target_system}"


def collapse(text: str) -> str:
    """``text`` with runs of white space made single and the ends trimmed."""
    return " ".join(text.split())
