"""``tether unlink``: undo a wrong natural-key match; never matched again."""

from __future__ import annotations

import argparse
import asyncio
import sys

from ops.cli import Command
from ops.cli._options import add_app_id
from ops.cli.pause import known_flows
from ops.cli.resync import operator
from ops.cli.verify import stream_settings
from ops.control import check_flows


def run(args: argparse.Namespace) -> int:
    """Send the unlink and wait for the flow to carry it out."""
    from dataflows import flows_by_name, load_documents
    from ops.unlink import unlink

    check_flows([args.flow], known_flows())
    flow = flows_by_name(load_documents())[args.flow]
    settings = stream_settings(args.app_id)
    text, code = asyncio.run(
        unlink(
            settings,
            flow,
            args.id,
            reason=args.reason,
            by=operator(),
            wait_seconds=args.wait,
        )
    )
    sys.stdout.write(text)
    return code


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether unlink``."""
    parser.add_argument("flow", metavar="FLOW", help="the flow")
    parser.add_argument("id", metavar="ID", help="the linked source id (or target id)")
    parser.add_argument("--reason", default="", help="why, for the flow's report")
    parser.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="wait this long for the flow to carry it out (0: do not wait; "
        "default: %(default)s)",
    )
    add_app_id(parser)


COMMAND = Command(
    "unlink",
    help="undo a wrong natural-key match (nothing deleted; never matched again)",
    description=(
        "Sends an unlink command onto the flow's commands topic, keyed by the"
        " source id: the flow removes the link from its link table, routes and"
        " id map in order with that source's changes, reports it (kind"
        " `unlinked`), deletes nothing in either system, and remembers the pair:"
        " the source's next change does not match that target by natural key"
        " again (it creates a new target, or reports no match)."
    ),
    options=_options,
    run=run,
)
