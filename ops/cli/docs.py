"""``tether docs``: write one dataflow document (reStructuredText) per definitions."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from connectors.errors import ConfigurationError
from dataflows import DEFINITIONS_DIR, load_document
from dataflows import format as fmt
from dataflows.render import render_document
from ops.cli import Command


def run(args: argparse.Namespace) -> int:
    """Write the documents; return the exit code."""
    generated = generated_time(args.generated, os.environ.get("SOURCE_DATE_EPOCH"))
    files = {p.stem: p for p in sorted(Path(args.definitions).glob("*.toml"))}
    wanted = args.doc or list(files)
    unknown = [name for name in wanted if name not in files]
    if unknown:
        known = ", ".join(files) or "none"
        msg = f"no flow definitions named {', '.join(unknown)}; known: {known}"
        raise ConfigurationError(msg)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in wanted:
        document = load_document(files[name])
        text = render_document(
            document, generated=generated, seed_rows_only=args.seed_rows_only
        )
        target = out / f"{name}.rst"
        target.write_text(text, encoding="utf-8")
        sys.stdout.write(f"{target}\n")
    return 0


def generated_time(option: str | None, epoch: str | None) -> str:
    """The "Generated:" time: the option, else ``SOURCE_DATE_EPOCH``, else now (UTC)."""
    if option is not None:
        try:
            moment = datetime.strptime(option, fmt.GENERATED_FORMAT)  # noqa: DTZ007 - a label, no zone
        except ValueError:
            msg = f"--generated {option!r} is not 'YYYY-MM-DD HH:MM:SS'"
            raise ConfigurationError(msg) from None
        return moment.strftime(fmt.GENERATED_FORMAT)
    if epoch:
        try:
            moment = datetime.fromtimestamp(int(epoch), tz=UTC)
        except (ValueError, OverflowError, OSError):
            msg = f"SOURCE_DATE_EPOCH {epoch!r} is not a Unix time in seconds"
            raise ConfigurationError(msg) from None
        return moment.strftime(fmt.GENERATED_FORMAT)
    return datetime.now(UTC).strftime(fmt.GENERATED_FORMAT)


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether docs``."""
    parser.add_argument(
        "--out", type=Path, default=Path(), help="directory to write to (default: .)"
    )
    parser.add_argument(
        "--seed-rows-only",
        action="store_true",
        help="list only the property rows that come from the seed documents",
    )
    parser.add_argument(
        "--doc",
        action="append",
        metavar="NAME",
        help="only this document, e.g. webcrm-customcrm (repeatable)",
    )
    parser.add_argument(
        "--generated",
        metavar="'YYYY-MM-DD HH:MM:SS'",
        help="the Generated: time (default: $SOURCE_DATE_EPOCH, else now, UTC)",
    )
    parser.add_argument(
        "--definitions",
        type=Path,
        default=DEFINITIONS_DIR,
        help="directory of flow definitions (default: the packaged ones)",
    )


COMMAND = Command(
    "docs",
    help="write the dataflow documents from the flow definitions",
    description=(
        "Write one reStructuredText document per flow definitions file, in the"
        " format of the Sesam Talk dataflow documents (<name>.rst)."
    ),
    options=_options,
    run=run,
)
