"""``tether verify``: the QA checklist, run against the live systems."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import TextIO

from connectors.base.settings import load_settings
from ops.cli import Command
from streams.settings import StreamSettings


def stream_settings(app_id: str | None) -> StreamSettings:
    """``StreamSettings`` from the environment, ``app_id`` overriding it."""
    overrides = {"app_id": app_id} if app_id else {}
    return load_settings(StreamSettings, **overrides)


class StderrProgress:
    """Progress on stderr: every milestone, running counts at most once a second."""

    def __init__(self, out: TextIO | None = None, interval: float = 1.0) -> None:
        self.out = out or sys.stderr
        self.interval = interval
        self._last: float | None = None

    def __call__(self, message: str, *, milestone: bool = True) -> None:
        now = time.monotonic()
        recent = self._last is not None and now - self._last < self.interval
        if not milestone and recent:
            return
        self._last = now
        self.out.write(f"verify: {message}\n")
        self.out.flush()


def run(args: argparse.Namespace) -> int:
    """Check the deployment; print the report; 0 when everything matches, else 1."""
    from ops.verify import render_json, render_text, verify_deployment

    settings = stream_settings(args.app_id)
    result = asyncio.run(
        verify_deployment(settings, args.flow, progress=StderrProgress())
    )
    sys.stdout.write(render_json(result) if args.json else render_text(result))
    sys.stdout.flush()
    return 0 if result.ok else 1


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether verify``."""
    parser.add_argument(
        "--flow",
        action="append",
        default=[],
        metavar="NAME",
        help="only this flow or document (e.g. webcrm-customcrm); repeatable",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--app-id",
        metavar="ID",
        help="the deployment to check (default: TETHER_APP_ID)",
    )


COMMAND = Command(
    "verify",
    help="check every link's mapped properties in the live systems",
    description=(
        "For each active flow (TETHER_FLOWS, connectors from the environment),"
        " read its links from its link table (the table's changelog on Kafka,"
        " never the link notices, which anyone could write) and both sides in"
        " full through the connectors, and report each mapped property that"
        " differs after type coercion, source entities without a link, lookups"
        " that found no or several matches, and links whose source or target"
        " vanished. Exit code 0: everything matches; 1: something differs; 2:"
        " configuration. Run it on a quiet deployment: changes made meanwhile"
        " show up as differences until the next run."
    ),
    options=_options,
    run=run,
)
