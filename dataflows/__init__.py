"""The project's flow definitions: one TOML file per dataflow document.

``load_documents()`` reads and validates every ``*.toml`` beside this module;
``FLOWS`` style look-ups go through ``flows_by_name``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from connectors.errors import ConfigurationError
from schemas.dataflow import DataflowDocument, Flow

DEFINITIONS_DIR = Path(__file__).parent


def load_document(path: Path) -> DataflowDocument:
    """Read and validate one flow definition file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return DataflowDocument.model_validate(raw)
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        msg = f"flow definitions {path.name} are invalid: {exc}"
        raise ConfigurationError(msg) from exc


def load_documents(directory: Path = DEFINITIONS_DIR) -> list[DataflowDocument]:
    """Every flow definition file in ``directory``, in file-name order."""
    return [load_document(p) for p in sorted(directory.glob("*.toml"))]


def flows_by_name(documents: list[DataflowDocument]) -> dict[str, Flow]:
    """All flows of ``documents`` by name; a name used twice is an error."""
    flows: dict[str, Flow] = {}
    for document in documents:
        for flow in document.flows:
            if flow.name in flows:
                msg = f"flow {flow.name!r} is defined twice"
                raise ConfigurationError(msg)
            flows[flow.name] = flow
    for flow in flows.values():
        for needed in flow.depends_on:
            if needed not in flows:
                msg = f"flow {flow.name!r} references unknown flow {needed!r}"
                raise ConfigurationError(msg)
    return flows
