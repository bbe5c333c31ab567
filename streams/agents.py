"""A flow's agents and timers: what runs its messages and its parked changes.

The flow agent (keyed by source id) and the router (keyed by target id) hand
each event to the flow's ``engine.runner.FlowRunner`` through
``streams.inflight`` (many keys at once, each in order, acked in offset order);
a timer sends parked changes back once their reference is linked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

import faust
import mode

from engine.breakers import FlowHeld
from engine.inbound import Where
from engine.parking import ParkingLot
from engine.poison import PoisonGuard
from engine.runner import FlowRunner
from schemas.dataflow import Flow, TargetMode
from schemas.envelope import ChangeEvent
from streams.inflight import run_in_flight


def flow_agents(
    app: faust.App,
    flow: Flow,
    runner: FlowRunner,
    channels: tuple[Any, Any],
    *,
    limit: int,
    poison: PoisonGuard,
    opened: Callable[[], Awaitable[None]],
    requeue: Callable[[str, ChangeEvent], Awaitable[None]],
) -> None:
    """A flow's agent (keyed by source id) and router (keyed by target id)."""
    inbound, routed = channels

    async def on_change(event: Any) -> None:
        try:
            await runner.on_change(event.key, event.value, _where(event))
        except FlowHeld:
            # A change its paused flow held while the worker rebalances or
            # stops: back onto the flow's own inbound topic, acked, let go.
            await requeue(event.key, event.value)

    async def poisoned(event: Any) -> None:
        await runner.on_poison(event.key, event.value, _where(event))

    async def run_flow(stream: faust.StreamT[Any]) -> None:
        await opened()
        # Many source ids in flight, each in order, acked in offset order.
        await run_in_flight(
            stream, on_change, limit=limit, guard=poison, poisoned=poisoned
        )

    async def on_route(event: Any) -> None:
        await runner.on_route(event.key, event.value, _where(event))

    async def route(stream: faust.StreamT[Any]) -> None:
        await run_in_flight(stream, on_route, limit=limit)

    # An exception that escapes an agent must stop the worker: faust's default
    # supervisor restarts the agent and acks the event it was processing,
    # which would lose it; after a crash the unacked event is redelivered.
    # One actor per agent: its concurrency is inside (streams.inflight).
    crash = mode.CrashingSupervisor
    app.agent(
        inbound, name=f"flow-{flow.name}", concurrency=1, supervisor_strategy=crash
    )(run_flow)
    if flow.target_mode is not TargetMode.VALUE_KEYED:  # shared targets: no routing
        app.agent(
            routed,
            name=f"route-{flow.name}",
            concurrency=1,
            supervisor_strategy=crash,
        )(route)


def unparking(
    app: faust.App,
    flow: str,
    parking: ParkingLot,
    send: Callable[[str, ChangeEvent], Awaitable[None]],
) -> None:
    """Parked changes whose reference got linked go back onto the flow's inbound
    topic, keyed by source id (each worker sends those of its partitions)."""

    async def unpark() -> None:
        recovery = cast(Any, app.tables).recovery
        if not recovery.completed.is_set() or app.rebalancing:
            return  # the table is not recovered yet
        for key, event in parking.due():
            await send(key, event)

    app.timer(parking.settings.check_seconds, name=f"unpark-{flow}")(unpark)


def forget_revoked(app: faust.App, guards: list[PoisonGuard]) -> None:
    """A partition taken away may be given back later: a new start on it."""

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]
    async def forget(sender: Any, revoked: Any, **_: Any) -> None:
        for guard in guards:
            for tp in revoked:
                guard.forget(tp.partition)


def _where(event: Any) -> Where:
    message = event.message
    return (message.topic, message.partition, message.offset)
