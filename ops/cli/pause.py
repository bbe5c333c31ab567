"""``tether pause``: hold every write of flows in every worker, until resumed."""

from __future__ import annotations

import argparse
import asyncio
import sys

from ops.cli import Command
from ops.cli._options import add_app_id
from ops.cli.verify import stream_settings
from ops.control import check_flows, pausing, render_change
from streams.control import read_states, write_state
from streams.settings import StreamSettings


def known_flows() -> list[str]:
    """Every flow the dataflow documents define."""
    from dataflows import flows_by_name, load_documents

    return list(flows_by_name(load_documents()))


def run(args: argparse.Namespace) -> int:
    """Pause the named flows."""
    check_flows(args.flows, known_flows())
    settings = stream_settings(args.app_id)
    sys.stdout.write(asyncio.run(pause(settings, args.flows, args.reason)))
    return 0


async def pause(settings: StreamSettings, flows: list[str], reason: str) -> str:
    """Pause ``flows``; what happened, as text."""
    changes, already = pausing(await read_states(settings), flows, reason)
    out = []
    for state in changes:
        await write_state(settings, state)
        out.append(render_change(state))
    out += [f"{flow} is paused already\n" for flow in already]
    return "".join(out)


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """The options ``pause`` and ``resume`` share."""
    add_app_id(parser)


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether pause``."""
    parser.add_argument("flows", nargs="+", metavar="FLOW", help="flows to pause")
    parser.add_argument("--reason", default="", help="why, for whoever resumes")
    add_common_options(parser)


COMMAND = Command(
    "pause",
    help="hold every write of flows in every worker until `tether resume`",
    options=_options,
    run=run,
)
