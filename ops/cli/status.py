"""``tether status``: every flow (running, paused or failing) and every system."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable
from datetime import datetime

import orjson

from connectors.errors import ConfigurationError
from ops.cli import Command
from ops.cli._options import add_app_id, add_json
from ops.cli.verify import stream_settings
from ops.verify.render import clip, plural, text_table
from schemas.dataflow import Flow
from schemas.observe import DeploymentStatus, FlowRunState, FlowStatus, SystemSeen
from schemas.status import SystemState
from schemas.utc import utc_text
from streams.kafka_io import existing_topics
from streams.observe.status import deployment_status
from streams.settings import StreamSettings
from streams.topics import TopicNames

_REASON_WIDTH = 100
FLOW_HEADERS = [
    "FLOW", "STATE", "LAST POLL", "LAST WRITE", "LAG", "LINKS", "PENDING",
    "CONFLICTS", "DEAD LETTERS", "REASON",
]  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Print every flow and system; 0 when no flow is failing, 1 when any is."""
    from ops.verify import active_flows

    settings = stream_settings(args.app_id)
    status = asyncio.run(load(settings, active_flows(settings).values()))
    sys.stdout.write(render(status, as_json=args.json))
    return 0 if status.ok else 1


async def load(settings: StreamSettings, flows: Iterable[Flow]) -> DeploymentStatus:
    """The deployment's status; ``ConfigurationError`` when no worker ever ran."""
    topic = TopicNames(settings.app_id).status
    if topic not in await existing_topics(settings.kafka_bootstrap):
        msg = (
            f"topic {topic} does not exist: no worker has run with app id"
            f" {settings.app_id!r} on {settings.kafka_bootstrap}"
        )
        raise ConfigurationError(msg)
    return await deployment_status(settings, flows)


def age(moment: datetime | None, now: datetime) -> str:
    """``-``, or how long before ``now``: ``4s ago``, ``12m ago``, ``3h ago``."""
    if moment is None:
        return "-"
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _flow_row(flow: FlowStatus, now: datetime) -> list[str]:
    return [
        flow.flow,
        flow.state.value,
        age(flow.last_poll_at, now),
        age(flow.last_write_at, now),
        str(flow.lag),
        str(flow.links),
        str(flow.pending_references),
        str(flow.conflicts),
        str(flow.dead_letters),
        clip(flow.reason, _REASON_WIDTH) if flow.reason else "",
    ]


def progress(flow: FlowStatus) -> str:
    """A flow's first sync while it runs: handled, left, rate and time left."""
    sync = flow.first_sync
    line = (
        f"{flow.flow}: first sync: {sync.handled} handled, {sync.remaining} to go"
        f", {sync.rate_per_second:.1f}/s"
    )
    if sync.eta_seconds is not None:
        line += f", about {_span(sync.eta_seconds)} left"
    return line


def _span(seconds: float) -> str:
    whole = int(seconds)
    if whole >= 3600:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    if whole >= 60:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole}s"


def flow_lines(status: DeploymentStatus) -> list[str]:
    """The flows' table, first syncs in progress, and the flows' verdict."""
    if not status.flows:
        return ["no active flows (TETHER_FLOWS, and each system's settings)"]
    rows = [_flow_row(flow, status.at) for flow in status.flows]
    lines = [*text_table(FLOW_HEADERS, rows), ""]
    lines += [progress(f) for f in status.flows if not f.first_sync.done]
    failing = [f.flow for f in status.flows if f.state is FlowRunState.FAILING]
    paused = sum(1 for f in status.flows if f.state is FlowRunState.PAUSED)
    and_paused = f" ({paused} paused)" if paused else ""
    total = plural(len(status.flows), "flow")
    if failing:
        lines.append(
            f"FAILING: {len(failing)} of {total}{and_paused}: {', '.join(failing)}"
        )
    else:
        lines.append(f"OK: {total}, none failing{and_paused}")
    return lines


def _failing(system: SystemSeen) -> bool:
    return system.state == SystemState.FAILING.value


def system_lines(systems: list[SystemSeen]) -> list[str]:
    """The systems' table (failing ones with their waiting flows) and verdict."""
    lines: list[str] = []
    if systems:
        rows = [
            [s.system, s.state,
             utc_text(s.since, timespec="seconds", sep=" ") if s.since else "-",
             s.worker or "-",
             clip(s.reason, _REASON_WIDTH) if _failing(s) else ""]
            for s in systems
        ]  # fmt: skip
        headers = ["SYSTEM", "STATE", "SINCE", "WORKER", "REASON"]
        lines += [*text_table(headers, rows), ""]
    failing = [s for s in systems if _failing(s)]
    for system in failing:
        waiting = ", ".join(system.flows) or "none active here"
        lines.append(
            f"{system.system}: {plural(len(system.flows), 'flow')} wait: {waiting}"
        )
    if failing:
        names = ", ".join(s.system for s in failing)
        lines.append(
            f"FAILING: {len(failing)} of {plural(len(systems), 'system')}: {names}"
        )
    else:
        lines.append(f"OK: {plural(len(systems), 'system')}, none failing")
    return lines


def render(status: DeploymentStatus, *, as_json: bool) -> str:
    """The flows' and systems' tables, or the status as JSON."""
    if as_json:
        document = status.model_dump(mode="json")
        return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    lines = [*flow_lines(status), "", *system_lines(status.systems)]
    return "\n".join(lines) + "\n"


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether status``."""
    add_json(parser)
    add_app_id(parser)


COMMAND = Command(
    "status",
    help="show each flow (running, paused or failing) and each system",
    description=(
        "Show every active flow (TETHER_FLOWS, connectors from the environment):"
        " running, paused (by an operator or a breaker) or failing (a system it"
        " touches is failing; failing wins over paused), with the reason, the"
        " last successful poll and write, the consumer group's lag over its"
        " topics, its links, pending references, conflicts and outstanding dead"
        " letters, and each first sync still running. Then each system as the"
        " workers last found it ({app}.status): ok, or failing with the reason,"
        " since when and which worker found it. Read from Kafka: the control"
        " table, {app}.status, the workers' snapshots on {app}.workers,"
        " {app}.conflicts and {app}.deadletters. --json prints the"
        " DeploymentStatus that GET /status serves. Exit code 0: no flow is"
        " failing; 1: one or more is; 78: configuration."
    ),
    options=_options,
    run=run,
)
