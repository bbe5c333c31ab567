"""``tether resync``: re-read a flow's types now, or one entity of its source."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from ops.cli import Command
from ops.cli._options import add_app_id
from ops.cli.pause import known_flows
from ops.cli.verify import stream_settings
from ops.control import check_flows


def operator() -> str:
    """Who gives a command, for the record (the login name; never a secret)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def run(args: argparse.Namespace) -> int:
    """Request a full re-read, or read and publish one entity."""
    from dataflows import flows_by_name, load_documents
    from engine.runtime import Connectors
    from ops.resync import request_full, resync_one

    check_flows([args.flow], known_flows())
    flow = flows_by_name(load_documents())[args.flow]
    settings = stream_settings(args.app_id)
    if args.id is None:
        sys.stdout.write(asyncio.run(request_full(settings, flow, operator())))
        return 0
    connectors = Connectors({flow.source.system})
    done = asyncio.run(resync_one(settings, flow, args.id, connectors))
    sys.stdout.write(done.text)
    return 0 if done.published else 1


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether resync``."""
    parser.add_argument("flow", metavar="FLOW", help="the flow to re-read")
    parser.add_argument(
        "--id",
        metavar="ID",
        help=(
            "one source entity: read it from its system now and publish it "
            "(default: the flow's whole types, at the polling leader's next poll)"
        ),
    )
    add_app_id(parser)


COMMAND = Command(
    "resync",
    help="re-read a flow's types (or one source entity with --id) now",
    description=(
        "Without --id: every worker's polling leader reads the flow's source type"
        " (and its target type, when the workers poll it) whole at its next poll;"
        " the request is kept in the shared resync table until then, across"
        " restarts. With --id: the entity is read from the source system through"
        " its connector (settings from the environment, like the worker's) and"
        " published onto its entity topic, acknowledged, exactly as a poll would;"
        " exit code 1 when the system no longer has it."
    ),
    options=_options,
    run=run,
)
