"""Pause and resume from the status page: who may, and the state written.

The same entries ``tether pause`` and ``tether resume`` write
(``streams.control.write_state``), so every worker follows them alike.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from pydantic import SecretStr

from engine.control import FlowState, parse_state, running
from schemas.utc import utc_now
from streams.control import read_states, write_state
from streams.settings import StreamSettings

TOKEN_SETTING = "TETHER_CONTROL_TOKEN"  # noqa: S105 - a setting's name


@dataclass(frozen=True)
class Refusal:
    """Why a pause or resume request is refused, as an HTTP answer."""

    status: int
    detail: str


def refusal(token: SecretStr | None, authorization: str) -> Refusal | None:
    """``None`` when ``authorization`` carries the control token, else why not."""
    if token is None or not token.get_secret_value():
        msg = f"pausing and resuming from the web is off: set {TOKEN_SETTING}"
        return Refusal(403, msg)
    scheme, _, given = authorization.partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected
    ):
        msg = f"send the value of {TOKEN_SETTING} as 'Authorization: Bearer <token>'"
        return Refusal(401, msg)
    return None


async def pause(settings: StreamSettings, flow: str, reason: str = "") -> FlowState:
    """Pause ``flow`` in every worker; its state after (unchanged if paused already)."""
    states = await read_states(settings)
    state = parse_state(states.get(flow)) or running(flow)
    if state.paused:
        return state
    now = utc_now()
    text = "paused from the status page"
    paused = FlowState(
        flow=flow,
        paused=True,
        reason=f"{text}: {reason}" if reason else text,
        by="operator",
        since=now,
        grace=state.graces(now),
    )
    await write_state(settings, paused)
    return paused


async def resume(settings: StreamSettings, flow: str, grace: float) -> FlowState:
    """Let ``flow`` go on; the breaker that paused it lets ``grace`` seconds pass."""
    states = await read_states(settings)
    state = parse_state(states.get(flow)) or running(flow)
    if not state.paused:
        return state
    resumed = state.resumed(grace)
    await write_state(settings, resumed)
    return resumed
