"""Link notices are checked against the links before the router believes them.

Anyone may write to a flow's links topic (DESIGN.md rule 16). The router is
keyed by target id and cannot read the flow's link table (keyed by source id,
another partition), so it asks the id map, the one-partition global table every
worker holds, which mirrors the link table for every announced pair: the flow
side records a pair there as *pending* before it sends the link notice and as
confirmed once the broker has it, and forgets a pair before it sends the
unlink notice. A genuine notice therefore finds the id map agreeing with it,
at the latest once the id map's changelog has reached this worker; a notice
the id map never agrees with, within a bounded wait, is not believed and
becomes a dead letter (stage ``check``). A notice replayed after a restart or
an offset reset (at or below the offset the route last took a notice from) is
applied again only if the id map still agrees, and otherwise passed over
without waiting: the links moved on since it was believed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.inbound import Where
from engine.stores import IdMap, RouteTable
from schemas.envelope import ChangeEvent
from schemas.links import LinkNotice, LinkOp

# How often the id map is looked at again while a notice waits for it.
_STEP_SECONDS = 0.05


class NoticeSettings(BaseSettings):
    """How long a link notice may wait for the id map (``TETHER_NOTICE_*``).

    The wait covers the id map's changelog reaching this worker (milliseconds
    normally); only a notice that disagrees with the links waits it out, and
    it holds its router partition meanwhile.
    """

    model_config = SettingsConfigDict(env_prefix="TETHER_NOTICE_", frozen=True)

    wait_seconds: float = Field(10.0, ge=0)


def _agrees(notice: LinkNotice, idmap: IdMap) -> bool:
    held = idmap.holds(notice.flow, notice.source_id, notice.target_id)
    return held if notice.op is LinkOp.LINK else not held


async def disbelief(
    key: str,
    notice: LinkNotice,
    flow: str,
    idmap: IdMap,
    wait_seconds: float,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str | None:
    """Why ``notice`` (message key ``key``) is not to be believed; ``None``: it is.

    A link notice is believed once the id map holds its pair, an unlink notice
    once it no longer does, waiting at most ``wait_seconds`` for either.
    """
    what = f"{notice.op.value} notice {notice.source_id} -> {notice.target_id}"
    if notice.flow != flow:
        return f"{what} names flow {notice.flow!r}, not {flow!r}"
    if key != notice.target_id:
        return f"{what}: message key {key!r} is not the target id"
    deadline = clock() + wait_seconds
    while not _agrees(notice, idmap):
        if clock() >= deadline:
            state = "does not hold" if notice.op is LinkOp.LINK else "still holds"
            return (
                f"{what}: the link table {state} this pair (after {wait_seconds:g}s);"
                " not believed"
            )
        await sleep(_STEP_SECONDS)
    return None


@dataclass(frozen=True)
class Routed:
    """What the router does after a notice: a dead letter's reason, or a forward.

    Attributes:
        refused: Why the notice is not believed (it becomes a dead letter).
        forward: A change parked for the target, now for its source (the key).
    """

    refused: str | None = None
    forward: tuple[str, ChangeEvent] | None = None


async def route_notice(
    key: str,
    notice: LinkNotice,
    where: Where,
    *,
    flow: str,
    routes: RouteTable,
    idmap: IdMap,
    wait_seconds: float,
) -> Routed:
    """Apply ``notice`` to the routes if it is believed; what follows from it."""
    route = routes.get(notice.target_id)
    offset = where[2]
    replayed = route.offset is not None and offset <= route.offset
    why = await disbelief(key, notice, flow, idmap, 0.0 if replayed else wait_seconds)
    if why is not None:
        # A replayed notice was dealt with when it was new: not lettered twice.
        return Routed() if replayed else Routed(refused=why)
    offset = max(offset, route.offset if route.offset is not None else offset)
    if notice.op is LinkOp.UNLINK:
        if route.source_id == notice.source_id:
            routes.unlink(notice.target_id, offset)
        return Routed()
    routes.link(notice.target_id, notice.source_id, offset)
    if route.parked is not None and route.source_id is None:
        return Routed(forward=(notice.source_id, route.parked))
    return Routed()
