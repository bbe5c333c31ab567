"""``tether worker``: run one worker of the deployment (more join the same group)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ops.cli import Command


def run(args: argparse.Namespace) -> int:
    """Build the worker, then hand the process to faust's worker runner."""
    from connectors.base.settings import load_settings
    from ops.logs import worker_logging
    from streams.cleanstop import record_stop
    from streams.settings import StreamSettings
    from streams.webui import check_web_port
    from streams.worker import build_worker

    settings = load_settings(StreamSettings)
    app: Any = build_worker(settings)
    # Checked last: a worker that would not start anyway says why first.
    check_web_port(settings)
    worker_logging(app, args.loglevel)
    # -q: no banner or spinner on stdout; what matters is logged.
    sys.argv = ["tether", "-q", "worker", "--loglevel", args.loglevel]
    if not settings.web_enabled:
        sys.argv.append("--without-web")
    try:
        app.main()  # never returns: faust exits the process when the worker stops
    except SystemExit as stop:
        record_stop(app, stop.code)  # a clean stop vouches for the local tables
        raise
    return 0


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether worker``."""
    parser.add_argument("-l", "--loglevel", default="info", help="faust log level")


COMMAND = Command(
    "worker",
    help="run a sync worker (settings from TETHER_* and per-system env vars)",
    options=_options,
    run=run,
)
