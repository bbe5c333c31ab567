"""Pausing and resuming flows: what ``tether pause`` and ``tether resume`` decide."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.errors import ConfigurationError
from engine.control import FlowState, parse_state, paused_flows, running
from ops.verify.render import clip, text_table
from schemas.utc import utc_now, utc_text

_REASON_WIDTH = 100


def check_flows(wanted: Sequence[str], known: Sequence[str]) -> None:
    """Refuse flow names no dataflow defines, naming the known ones."""
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        msg = f"unknown flow(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        raise ConfigurationError(msg)


def current(states: Mapping[str, Any], flow: str) -> FlowState:
    """The recorded state of ``flow`` (running when nothing was recorded)."""
    return parse_state(states.get(flow)) or running(flow)


def pausing(
    states: Mapping[str, Any],
    flows: Sequence[str],
    reason: str,
    now: datetime | None = None,
) -> tuple[list[FlowState], list[str]]:
    """The new states of the ``flows`` that run, and the names already paused."""
    changes, already = [], []
    now = now or utc_now()
    for flow in flows:
        state = current(states, flow)
        if state.paused:
            already.append(flow)
            continue
        text = f"paused by an operator: {reason}" if reason else "paused by an operator"
        changes.append(
            FlowState(
                flow=flow, paused=True, reason=text, by="operator", since=now,
                grace=state.graces(now),
            )
        )  # fmt: skip
    return changes, already


def resuming(
    states: Mapping[str, Any],
    flows: Sequence[str],
    grace_seconds: float,
    now: datetime | None = None,
) -> tuple[list[FlowState], list[str]]:
    """The new states of the paused ``flows``, and the names that were not paused."""
    changes, running_already = [], []
    for flow in flows:
        state = current(states, flow)
        if not state.paused:
            running_already.append(flow)
            continue
        changes.append(state.resumed(grace_seconds, now or utc_now()))
    return changes, running_already


def render_paused(states: Mapping[str, Any]) -> str:
    """The paused flows as a table (since when, by whom, why)."""
    paused = paused_flows(states)
    if not paused:
        return "no flow is paused\n"
    rows = [
        [s.flow, utc_text(s.since, timespec="seconds", sep=" "), s.by,
         clip(s.reason, _REASON_WIDTH)]
        for s in paused
    ]  # fmt: skip
    lines = text_table(["FLOW", "SINCE", "BY", "REASON"], rows)
    return "\n".join([*lines, "", "`tether resume FLOW` lets a flow go on"]) + "\n"


def render_change(state: FlowState) -> str:
    """One line on what a pause or resume did."""
    if state.paused:
        return f"paused {state.flow}: every worker holds its writes now\n"
    line = f"resumed {state.flow}"
    for counter, until in sorted(state.graces(state.since).items()):
        line += f"; its {counter} go on unchecked until "
        line += utc_text(until, timespec="seconds", sep=" ")
    return line + "\n"
