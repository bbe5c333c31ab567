"""``tether status``: each system as the workers last found it, ok or failing."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.errors import ConfigurationError
from ops.cli import Command
from ops.cli._options import add_app_id, add_json
from ops.cli.verify import stream_settings
from ops.readback import each_readable
from ops.verify.render import clip, plural, text_table
from schemas.dataflow import Flow
from schemas.status import SystemState, SystemStatus
from schemas.utc import utc_text
from streams.kafka_io import existing_topics, read_latest
from streams.settings import StreamSettings
from streams.topics import TopicNames

_REASON_WIDTH = 100


@dataclass(frozen=True)
class SystemView:
    """One system for the operator: its last published status, and its flows.

    ``status`` is ``None`` for a system no worker ever reported: workers
    publish a system's status when it changes, and it starts ok.
    """

    system: str
    status: SystemStatus | None
    flows: tuple[str, ...]

    @property
    def failing(self) -> bool:
        """Whether the system failed its last probe."""
        return self.status is not None and self.status.state is SystemState.FAILING


def run(args: argparse.Namespace) -> int:
    """Print each system's status; 0 when all answer, 1 when any is failing."""
    from ops.verify import active_flows

    settings = stream_settings(args.app_id)
    statuses = asyncio.run(load(settings))
    views = system_views(statuses, active_flows(settings).values())
    sys.stdout.write(render(views, as_json=args.json, app_id=settings.app_id))
    return 1 if any(view.failing for view in views) else 0


async def load(settings: StreamSettings) -> dict[str, SystemStatus]:
    """The latest status per system on ``{app}.status``."""
    topic = TopicNames(settings.app_id).status
    if topic not in await existing_topics(settings.kafka_bootstrap):
        msg = (
            f"topic {topic} does not exist: no worker has run with app id"
            f" {settings.app_id!r} on {settings.kafka_bootstrap}"
        )
        raise ConfigurationError(msg)
    latest = await read_latest(settings.kafka_bootstrap, topic)
    return {s.system: s for _, s in each_readable(SystemStatus, latest, "status")}


def system_views(
    statuses: Mapping[str, SystemStatus], flows: Iterable[Flow]
) -> list[SystemView]:
    """Every system of the active flows or the topic, with the flows touching it."""
    touching: dict[str, list[str]] = {}
    for flow in flows:
        for system in dict.fromkeys((flow.source.system, flow.target.system)):
            touching.setdefault(system, []).append(flow.name)
    systems = sorted({*touching, *statuses})
    return [
        SystemView(system, statuses.get(system), tuple(touching.get(system, ())))
        for system in systems
    ]


def _when(status: SystemStatus | None) -> str:
    if status is None:
        return "-"
    return utc_text(status.since, timespec="seconds", sep=" ")


def _view_dict(view: SystemView) -> dict[str, Any]:
    status = view.status
    return {
        "system": view.system,
        "state": status.state.value if status else SystemState.OK.value,
        "reason": status.reason if status else "",
        "since": utc_text(status.since, zulu=False) if status else None,
        "checked_at": utc_text(status.checked_at, zulu=False) if status else None,
        "worker": status.worker if status else "",
        "flows": list(view.flows),
    }


def render(views: Sequence[SystemView], *, as_json: bool, app_id: str) -> str:
    """The systems as a table (failing ones with their waiting flows), or JSON."""
    failing = [v for v in views if v.failing]
    if as_json:
        document = {
            "app_id": app_id,
            "ok": not failing,
            "systems": [_view_dict(v) for v in views],
        }
        return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    lines: list[str] = []
    if views:
        rows = [
            [v.system, "failing" if v.failing else "ok", _when(v.status),
             v.status.worker if v.status else "-",
             clip(v.status.reason, _REASON_WIDTH) if v.failing and v.status else ""]
            for v in views
        ]  # fmt: skip
        headers = ["SYSTEM", "STATE", "SINCE", "WORKER", "REASON"]
        lines += [*text_table(headers, rows), ""]
    for view in failing:
        waiting = ", ".join(view.flows) or "none active here"
        lines.append(
            f"{view.system}: {plural(len(view.flows), 'flow')} wait: {waiting}"
        )
    if failing:
        names = ", ".join(v.system for v in failing)
        lines.append(
            f"FAILING: {len(failing)} of {plural(len(views), 'system')}: {names}"
        )
    else:
        lines.append(f"OK: {plural(len(views), 'system')}, none failing")
    return "\n".join(lines) + "\n"


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether status``."""
    add_json(parser)
    add_app_id(parser)


COMMAND = Command(
    "status",
    help="show each system: ok, or failing and why (and which flows wait)",
    description=(
        "Read each system's status from {app}.status, where the workers publish"
        " it when it changes: ok, or failing with the reason (refused"
        " credentials, an outage), since when and which worker found it. A"
        " failing system's flows wait and are retried with backoff; every other"
        " flow goes on. Systems of the active flows (TETHER_FLOWS, connectors"
        " from the environment) that no worker reported are ok. Exit code 0:"
        " every system answers; 1: one or more is failing; 78: configuration."
    ),
    options=_options,
    run=run,
)
