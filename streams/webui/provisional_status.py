"""A stand-in for ``streams.observe.status.deployment_status`` until it is merged.

Same signature and result; built only from topics every worker already writes:
the control table (paused flows), ``{app}.status`` (failing systems), each
flow's link notices, conflicts, dead letters and writes. It knows no lag, no
first-sync progress and no per-worker counters: the real one does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from engine.control import parse_state
from schemas.dataflow import Flow
from schemas.observe import (
    DeploymentStatus,
    FlowRunState,
    FlowStatus,
    SystemSeen,
)
from schemas.status import SystemState, SystemStatus
from streams.control import read_states
from streams.kafka_io import read_all, read_latest
from streams.settings import StreamSettings
from streams.topics import TopicNames


async def deployment_status(
    settings: StreamSettings, flows: Iterable[Flow]
) -> DeploymentStatus:
    """Every flow of ``flows`` and every system they touch, as Kafka shows them."""
    chosen = list(flows)
    names = TopicNames(settings.app_id)
    bootstrap = settings.kafka_bootstrap
    states = await read_states(settings)
    systems = _systems(await read_latest(bootstrap, names.status), chosen)
    conflicts = _per_flow(await read_all(bootstrap, names.conflicts))
    letters = _per_flow(await read_all(bootstrap, names.deadletters))
    writes = _per_flow(await read_all(bootstrap, names.writes))
    failing = {s.system: s for s in systems if s.state == SystemState.FAILING.value}
    out = []
    for flow in chosen:
        notices = await read_latest(bootstrap, names.links(flow.name))
        status = FlowStatus(
            flow=flow.name,
            source=flow.source.system,
            target=flow.target.system,
            state=FlowRunState.RUNNING,
            links=sum(1 for n in notices.values() if n.get("op") == "link"),
            conflicts=conflicts[flow.name],
            dead_letters=letters[flow.name],
            writes=writes[flow.name],
        )
        out.append(_with_state(status, states.get(flow.name), failing))
    return DeploymentStatus(
        app_id=settings.app_id,
        ok=all(f.state is not FlowRunState.FAILING for f in out),
        systems=systems,
        flows=out,
    )


def _systems(latest: Mapping[str, Any], flows: list[Flow]) -> list[SystemSeen]:
    touching: dict[str, list[str]] = {}
    for flow in flows:
        for ref in (flow.source, flow.target):
            touching.setdefault(ref.system, []).append(flow.name)
    seen = []
    for system, flow_names in sorted(touching.items()):
        raw = latest.get(system)
        try:
            status = SystemStatus.model_validate(raw) if raw else None
        except ValueError:
            status = None  # anyone may write to a topic
        seen.append(
            SystemSeen(
                system=system,
                state=status.state.value if status else SystemState.OK.value,
                reason=status.reason if status else "",
                since=status.since if status else None,
                flows=sorted(flow_names),
            )
        )
    return seen


def _per_flow(messages: list[tuple[str | None, Any]]) -> Counter[str]:
    return Counter(
        value["flow"]
        for _, value in messages
        if isinstance(value, dict) and isinstance(value.get("flow"), str)
    )


def _with_state(
    status: FlowStatus, raw: Any, failing: Mapping[str, SystemSeen]
) -> FlowStatus:
    """Failing (a system of the flow is) before paused (the control table)."""
    down = [failing[s] for s in (status.source, status.target) if s in failing]
    if down:
        reason = "; ".join(f"{s.system} failing: {s.reason}" for s in down)
        since = min((s.since for s in down if s.since), default=None)
        update: dict[str, Any] = {
            "state": FlowRunState.FAILING,
            "reason": reason,
            "since": since,
        }
        return status.model_copy(update=update)
    control = parse_state(raw)
    if control is not None and control.paused:
        update = {
            "state": FlowRunState.PAUSED,
            "reason": control.reason,
            "since": control.since,
        }
        return status.model_copy(update=update)
    return status
