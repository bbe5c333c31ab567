"""``tether worker``: run one worker of the deployment (more join the same group)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``worker`` sub-command."""
    parser = subparsers.add_parser(
        "worker",
        help="run a sync worker (settings from TETHER_* and per-system env vars)",
    )
    parser.add_argument("-l", "--loglevel", default="info", help="faust log level")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the worker, then hand the process to faust's worker runner."""
    from ops.cli import quiet_libraries
    from streams.worker import build_worker

    quiet_libraries()
    app: Any = build_worker()
    sys.argv = ["tether", "worker", "--loglevel", args.loglevel, "--without-web"]
    app.main()  # never returns: faust exits the process when the worker stops
    return 0
