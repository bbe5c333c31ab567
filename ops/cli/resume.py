"""``tether resume``: let flows a breaker (or an operator) paused go on."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from typing import Any

import orjson

from connectors.base.settings import load_settings
from engine.breakers import BreakerSettings
from engine.control import paused_flows
from ops.cli import Command
from ops.cli._options import add_json
from ops.cli.pause import add_common_options, known_flows
from ops.cli.verify import stream_settings
from ops.control import check_flows, render_change, render_paused, resuming
from streams.control import read_states, write_state
from streams.settings import StreamSettings


def run(args: argparse.Namespace) -> int:
    """Resume the named (or all paused) flows; without names, list the paused."""
    settings = stream_settings(args.app_id)
    if not args.flows and not args.all:
        states = asyncio.run(read_states(settings))
        if args.json:
            sys.stdout.write(paused_json(states))
        else:
            sys.stdout.write(render_paused(states))
        return 0
    if args.flows:
        check_flows(args.flows, known_flows())
    grace = args.grace
    if grace is None:
        grace = load_settings(BreakerSettings).window_seconds
    sys.stdout.write(asyncio.run(resume(settings, args.flows, grace)))
    return 0


def paused_json(states: Mapping[str, Any]) -> str:
    """The paused flows for machines: ``{"paused": [state, ...]}``."""
    paused = [state.model_dump(mode="json") for state in paused_flows(states)]
    return orjson.dumps({"paused": paused}, option=orjson.OPT_INDENT_2).decode() + "\n"


async def resume(settings: StreamSettings, flows: list[str], grace: float) -> str:
    """Resume ``flows`` (every paused one when empty); what happened, as text."""
    states = await read_states(settings)
    if not flows:
        flows = [s.flow for s in paused_flows(states)]
    changes, not_paused = resuming(states, flows, grace)
    out = []
    for state in changes:
        await write_state(settings, state)
        out.append(render_change(state))
    out += [f"{flow} is not paused\n" for flow in not_paused]
    return "".join(out) or "no flow is paused\n"


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether resume``."""
    parser.add_argument("flows", nargs="*", metavar="FLOW", help="flows to resume")
    parser.add_argument("--all", action="store_true", help="every paused flow")
    parser.add_argument(
        "--grace",
        type=float,
        metavar="SECONDS",
        help=(
            "how long the breaker that tripped lets the accepted burst go on "
            "(default: TETHER_BREAKER_WINDOW_SECONDS; 0: check at once)"
        ),
    )
    add_json(parser)
    add_common_options(parser)


COMMAND = Command(
    "resume",
    help="let paused flows go on (without FLOW: list the paused flows)",
    description=(
        "A storm breaker pauses a flow when it creates, updates or unlinks more"
        " than a real sync would; every worker then holds that flow's writes."
        " Check both systems, then resume: the held changes are handled again"
        " from the systems' current state, and the breaker that tripped lets"
        " the burst you accepted go on for --grace seconds."
    ),
    options=_options,
    run=run,
)
