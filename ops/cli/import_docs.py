"""``tether import``: read dataflow documents into flow definitions (TOML).

Repaired quirks are printed to stderr as warnings; a malformed document is printed
as ``file:line: message`` and the command exits 1 without writing anything.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from connectors.errors import ConfigurationError, DocumentError
from dataflows import DEFINITIONS_DIR, load_documents
from dataflows import format as fmt
from dataflows.importer import (
    FlowKey,
    ImportResult,
    definitions_header,
    import_file,
    index_flows,
)
from dataflows.writer import dump_document
from ops.cli import Command
from schemas.dataflow import Flow, RowOrigin

logger = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    """Import the documents; return the exit code."""
    existing: dict[FlowKey, Flow] = {}
    if not args.no_definitions:
        existing = index_flows(load_documents(Path(args.definitions)))
    origin = RowOrigin(args.origin)
    results: dict[str, tuple[Path, ImportResult]] = {}
    failed = False
    for path in args.files:
        try:
            result = import_file(path, existing, new_row_origin=origin)
        except DocumentError as exc:
            sys.stderr.write(f"{exc}\n")
            failed = True
            continue
        for note in result.notes:
            sys.stderr.write(f"warning: {note}\n")
        document = result.document
        name = fmt.document_name(document.source_system, document.target_system)
        if name in results:
            msg = f"{results[name][0]} and {path} both describe {document.title}"
            raise ConfigurationError(msg)
        results[name] = (path, result)
    if failed:
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, (path, result) in results.items():
        if result.defaulted:
            flows = ", ".join(result.defaulted)
            logger.info("%s: no definitions for %s; defaults used", path, flows)
        header = definitions_header(path.name, result, origin)
        target = out / f"{name}.toml"
        target.write_text(
            dump_document(result.document, header=header), encoding="utf-8"
        )
        sys.stdout.write(f"{target}\n")
    return 0


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether import``."""
    parser.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="dataflow documents (.rst)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path(), help="directory to write to (default: .)"
    )
    parser.add_argument(
        "--definitions",
        type=Path,
        default=DEFINITIONS_DIR,
        help="existing definitions to complete flows from (default: the packaged ones)",
    )
    parser.add_argument(
        "--no-definitions",
        action="store_true",
        help="ignore existing definitions: every flow gets defaults",
    )
    parser.add_argument(
        "--origin",
        choices=[o.value for o in RowOrigin],
        default=RowOrigin.SEED.value,
        help="origin of rows no existing definition has (default: seed)",
    )


COMMAND = Command(
    "import",
    help="read dataflow documents into flow definitions",
    description=(
        "Read dataflow documents (the Sesam Talk reStructuredText format) and"
        " write one TOML definitions file per document (<source>-<target>.toml)."
        " What a document cannot show (match keys, target mode, delete policy,"
        " source types, references, row origins) is taken from the existing"
        " definitions of the same flow."
    ),
    options=_options,
    run=run,
)
