"""``tether verify``: the QA checklist, run against the live systems."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, TextIO

from connectors.base.settings import load_settings
from ops.cli import Command
from streams.settings import StreamSettings

if TYPE_CHECKING:  # imported when verify runs, not for every `tether` command
    from rich.console import Console
    from rich.progress import TaskID

    from ops.verify.collect import Progress


def stream_settings(app_id: str | None) -> StreamSettings:
    """``StreamSettings`` from the environment, ``app_id`` overriding it."""
    overrides = {"app_id": app_id} if app_id else {}
    return load_settings(StreamSettings, **overrides)


class StderrProgress:
    """Progress on stderr as plain lines: every milestone and finished phase,
    running counts and steps at most once a second (``reading 3/15 flows``)."""

    def __init__(self, out: TextIO | None = None, interval: float = 1.0) -> None:
        self.out = out or sys.stderr
        self.interval = interval
        self._last: float | None = None

    def __call__(
        self,
        message: str,
        *,
        milestone: bool = True,
        step: tuple[int, int] | None = None,
    ) -> None:
        now = time.monotonic()
        recent = self._last is not None and now - self._last < self.interval
        finished = step is not None and step[0] >= step[1]
        if not milestone and not finished and recent:
            return
        self._last = now
        if step is not None:
            message = f"{message} {step[0]}/{step[1]}"
        self.out.write(f"verify: {message}\n")
        self.out.flush()


class BarProgress:
    """Progress on a terminal: a bar per phase, milestones printed above it."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichProgress

        self.bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}
        self.running = self.bar.add_task("", total=None, visible=False)

    def __call__(
        self,
        message: str,
        *,
        milestone: bool = True,
        step: tuple[int, int] | None = None,
    ) -> None:
        if step is not None:
            if message not in self.tasks:
                self.tasks[message] = self.bar.add_task(message, total=step[1])
            self.bar.update(self.tasks[message], completed=step[0], total=step[1])
        elif milestone:
            self.bar.console.print(f"verify: {message}", highlight=False)
        else:
            self.bar.update(self.running, description=message, visible=True)

    def __enter__(self) -> BarProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


def progress_for(out: TextIO) -> AbstractContextManager[Progress]:
    """A bar on a terminal, plain lines otherwise (a pipe, a file, CI)."""
    if out.isatty():
        from rich.console import Console

        return BarProgress(Console(file=out))
    return nullcontext(StderrProgress(out))


def run(args: argparse.Namespace) -> int:
    """Check the deployment; print the report; 0 when everything matches, else 1."""
    from ops.verify import render_json, render_text, verify_deployment

    settings = stream_settings(args.app_id)
    with progress_for(sys.stderr) as progress:
        result = asyncio.run(verify_deployment(settings, args.flow, progress=progress))
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
