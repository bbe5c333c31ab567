"""A flow's ports with its storm breaker around them (``engine.breakers``).

Every write a flow makes goes through the sinks in its ``FlowPorts`` and every
unlink asks ``may_unlink``: wrapping those is all it takes, so the handlers and
the runner know nothing of breakers. The sinks are shared by every flow of a
system; each flow gets its own thin wrapper, so counts stay per flow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from connectors.base.protocols import Capabilities, Sink
from engine.breakers import BreakerSettings, FlowBreaker
from engine.control import ControlTable
from engine.ports import FlowPorts
from schemas.envelope import ChangeEvent


class GuardedSink:
    """One flow's view of a system's sink: writes pass the flow's breaker first.

    Args:
        sink: The system's sink.
        breaker: The flow's breaker.
        linked: Whether a record id of this side belongs to an announced link
            (an update of any other record settles a match being made).
    """

    def __init__(
        self, sink: Sink, breaker: FlowBreaker, linked: Callable[[str], bool]
    ) -> None:
        self.inner = sink
        self.breaker = breaker
        self._linked = linked

    @property
    def system(self) -> str:
        """The wrapped sink's system."""
        return self.inner.system

    def capabilities(self, entity: str) -> Capabilities:
        """What the API allows for ``entity``."""
        return self.inner.capabilities(entity)

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        """Reads are never held."""
        return await self.inner.get(entity, record_id)

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Reads are never held."""
        return await self.inner.find(entity, field_path, value)

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """Create, once the breaker allows it."""
        await self.breaker.before_create(entity, idempotency_key)
        return await self.inner.create(entity, data, idempotency_key=idempotency_key)

    async def update(
        self,
        entity: str,
        record_id: str,
        changes: dict[str, Any],
        *,
        expected: ChangeEvent | None = None,
    ) -> ChangeEvent:
        """Update, once the breaker allows it."""
        linked = self._linked(record_id)
        await self.breaker.before_update(entity, record_id, changes, linked=linked)
        return await self.inner.update(entity, record_id, changes, expected=expected)

    async def delete(self, entity: str, record_id: str) -> None:
        """Delete (a propagated delete), unless the flow is paused."""
        await self.breaker.before_delete()
        await self.inner.delete(entity, record_id)


def guard_flow(
    flow: str,
    ports: FlowPorts,
    settings: BreakerSettings,
    control: ControlTable,
    link_count: Callable[[], int],
    releasing: Callable[[], bool] = lambda: False,
) -> tuple[FlowPorts, FlowBreaker]:
    """``ports`` with a fresh breaker for ``flow`` around its sinks and unlinks.

    ``releasing``: whether the worker must let held changes go (``FlowHeld``).
    """
    breaker = FlowBreaker(
        flow, settings, control, link_count, ports.report, releasing=releasing
    )

    def source_linked(source_id: str) -> bool:
        return ports.resolve(flow, source_id) is not None

    def target_linked(target_id: str) -> bool:
        return ports.resolve_reverse(flow, target_id) is not None

    guarded = replace(
        ports,
        source_sink=_as_sink(GuardedSink(ports.source_sink, breaker, source_linked)),
        target_sink=_as_sink(GuardedSink(ports.target_sink, breaker, target_linked)),
        may_unlink=breaker.may_unlink,
    )
    return guarded, breaker


def _as_sink(sink: GuardedSink) -> Sink:
    # ``Sink.system`` is a class variable in the protocol; the wrapper's comes
    # from the sink it wraps, so it is a property: structurally the same.
    guarded: Sink = sink  # type: ignore[assignment]
    return guarded
