"""Every write tether makes, recorded with its cause (``{app}.writes``, explain).

The runner opens a ``Cause`` for each change it handles (``WriteLog.change``, a
context variable); a flow's sinks are wrapped in a ``RecordingSink`` that
counts each write (``engine.metrics``) and adds it to the current cause with
the written properties' values before and after; the linking code adds its
decisions (a match by natural key, an unlink), the conflict port the
properties both sides changed. When the change is done, its records go to the
``WriteLog``'s ``send``, which must never wait for the broker: a lost record
costs an operator one line of history, never a flow its pace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from connectors.base.protocols import Capabilities, Sink
from connectors.errors import RecordError
from engine import metrics
from engine.ports import FlowPorts
from schemas.envelope import ChangeEvent, ConflictRecord
from schemas.observe import WriteOp, WriteRecord
from schemas.paths import get_value
from schemas.utc import utc_now

Send = Callable[[str, WriteRecord], None]


@dataclass
class Cause:
    """The change being handled, and what it made tether write so far.

    Attributes:
        flow: The flow handling it.
        event: The change (``None`` outside a flow's handling).
        from_source: Whether it is a change of the flow's source side.
        records: Writes and link decisions, conflicts not yet added.
        conflicts: Properties both sides changed, each with the side that won.
        match_key: The natural key a match was found by.
        deleted: The side whose delete is being propagated or unlinked.
        failing: The system of the last read or write that failed.
        result: What became of a change the runner did not finish
            (``parked``, ``dead_letter``).
    """

    flow: str
    event: ChangeEvent | None = None
    from_source: bool = True
    records: list[WriteRecord] = field(default_factory=list)
    conflicts: dict[str, str] = field(default_factory=dict)
    match_key: str = ""
    deleted: str = ""
    failing: str = ""
    result: str = ""

    @property
    def written(self) -> int:
        """Writes acknowledged for this change (link decisions excluded)."""
        return sum(r.op not in (WriteOp.MATCH, WriteOp.UNLINK) for r in self.records)

    def why(self, op: WriteOp) -> str:
        """In words, why the change made tether do ``op``."""
        if op is WriteOp.CREATE:
            return "new source record"
        if op is WriteOp.DELETE:
            return f"deleted in {self.deleted or 'the other side'}"
        side = "source change" if self.from_source else "target change"
        if self.match_key:
            return f"natural key {self.match_key}; {side}"
        return side

    def add(
        self,
        op: WriteOp,
        system: str,
        entity: str,
        record_id: str,
        *,
        why: str = "",
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        written_at: datetime | None = None,
    ) -> None:
        """Record one write (or link decision) of this change."""
        event = self.event
        self.records.append(
            WriteRecord(
                flow=self.flow,
                system=system,
                entity=entity,
                record_id=record_id,
                op=op,
                why=why or self.why(op),
                from_system=event.system if event else "",
                from_entity=event.entity if event else "",
                from_id=event.id if event else "",
                changed_at=event.modified_at if event else None,
                before=before or {},
                after=after or {},
                written_at=written_at or utc_now(),
            )
        )


_CAUSE: ContextVar[Cause | None] = ContextVar("tether_cause", default=None)


def current() -> Cause | None:
    """The change being handled in this task, if any."""
    return _CAUSE.get()


def note(**fields: str) -> None:
    """Set fields of the current cause (``match_key``, ``deleted``, ...)."""
    cause = _CAUSE.get()
    if cause is not None:
        for name, value in fields.items():
            setattr(cause, name, value)


def decided(
    op: WriteOp, system: str, entity: str, record_id: str, source_id: str, why: str
) -> None:
    """A link decision of the current change: ``match`` or ``unlink``."""
    cause = _CAUSE.get()
    if cause is None:
        return
    if op is WriteOp.MATCH:
        metrics.matched(cause.flow)
    linked = {"source_id": source_id}
    before, after = (None, linked) if op is WriteOp.MATCH else (linked, None)
    cause.add(op, system, entity, record_id, why=why, before=before, after=after)


def _drop(key: str, record: WriteRecord) -> None:
    return None


class WriteLog:
    """Hands the records of each handled change to ``send`` (never waiting).

    Args:
        send: Takes ``(key, record)`` and returns at once (``streams`` queues
            it for the broker); ``None`` keeps nothing (tests, tools).
        worker: This worker's id (``host:pid``).
    """

    def __init__(self, send: Send | None = None, worker: str = "") -> None:
        self._send = send or _drop
        self.worker = worker

    @contextmanager
    def change(
        self, flow: str, event: ChangeEvent | None, *, from_source: bool = True
    ) -> Iterator[Cause]:
        """The cause of everything written until the block ends; sent then."""
        cause = Cause(flow, event, from_source)
        token = _CAUSE.set(cause)
        try:
            yield cause
        finally:
            _CAUSE.reset(token)
            self.flush(cause)

    def flush(self, cause: Cause) -> None:
        """Send the cause's records, with its conflicts and this worker."""
        for record in cause.records:
            final = record.model_copy(
                update={"conflicts": dict(cause.conflicts), "worker": self.worker}
            )
            key = f"{final.system}/{final.entity}/{final.record_id}"
            try:
                self._send(key, final)
            except Exception:  # noqa: BLE001 - history must never stop a flow
                metrics.record_dropped()
        cause.records.clear()


def flattened(body: Any, prefix: str = "") -> dict[str, Any]:
    """A nested write body as dotted paths to its leaves (lists are leaves)."""
    if not isinstance(body, dict) or (prefix and not body):
        return {prefix: body} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in body.items():
        flat.update(flattened(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _outcome(exc: BaseException) -> str:
    return "refused" if isinstance(exc, RecordError) else "error"


class RecordingSink:
    """One flow's view of a system's sink: each write counted and recorded."""

    def __init__(self, sink: Sink, flow: str) -> None:
        self.inner = sink
        self.flow = flow

    @property
    def system(self) -> str:
        """The wrapped sink's system."""
        return self.inner.system

    def capabilities(self, entity: str) -> Capabilities:
        """What the API allows for ``entity``."""
        return self.inner.capabilities(entity)

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        """Read one record (a failure names this system as failing)."""
        try:
            return await self.inner.get(entity, record_id)
        except Exception:
            note(failing=self.system)
            raise

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Search (a failure names this system as failing)."""
        try:
            return await self.inner.find(entity, field_path, value)
        except Exception:
            note(failing=self.system)
            raise

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """Create, counted and recorded."""
        try:
            created = await self.inner.create(
                entity, data, idempotency_key=idempotency_key
            )
        except Exception as exc:
            self._failed(entity, WriteOp.CREATE, exc)
            raise
        self._wrote(WriteOp.CREATE, entity, created.id, {}, flattened(data))
        return created

    async def update(
        self,
        entity: str,
        record_id: str,
        changes: dict[str, Any],
        *,
        expected: ChangeEvent | None = None,
    ) -> ChangeEvent:
        """Update, counted and recorded with the values it replaced."""
        try:
            written = await self.inner.update(
                entity, record_id, changes, expected=expected
            )
        except Exception as exc:
            self._failed(entity, WriteOp.UPDATE, exc)
            raise
        after = flattened(changes)
        old = expected.data if expected is not None else None
        before = {path: get_value(old, path) for path in after} if old else {}
        self._wrote(WriteOp.UPDATE, entity, record_id, before, after)
        return written

    async def delete(self, entity: str, record_id: str) -> None:
        """Delete (a propagated delete), counted and recorded."""
        try:
            await self.inner.delete(entity, record_id)
        except Exception as exc:
            self._failed(entity, WriteOp.DELETE, exc)
            raise
        self._wrote(WriteOp.DELETE, entity, record_id, {}, {})

    def _failed(self, entity: str, op: WriteOp, exc: BaseException) -> None:
        note(failing=self.system)
        metrics.write(self.flow, self.system, entity, op.value, _outcome(exc))

    def _wrote(
        self,
        op: WriteOp,
        entity: str,
        record_id: str,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> None:
        at = utc_now()
        cause = _CAUSE.get()
        changed_at = cause.event.modified_at if cause and cause.event else None
        metrics.write(
            self.flow, self.system, entity, op.value, "ok", changed_at=changed_at, at=at
        )
        if cause is not None:
            cause.add(
                op,
                self.system,
                entity,
                record_id,
                before=before,
                after=after,
                written_at=at,
            )


def recording_flow(flow: str, ports: FlowPorts) -> FlowPorts:
    """``ports`` with both sinks recorded and conflicts counted for ``flow``."""
    inner = ports.conflict

    async def conflict(record: ConflictRecord) -> None:
        metrics.conflict(flow)
        cause = _CAUSE.get()
        if cause is not None:
            cause.conflicts[record.property] = record.winner.value
        await inner(record)

    return replace(
        ports,
        source_sink=_as_sink(RecordingSink(ports.source_sink, flow)),
        target_sink=_as_sink(RecordingSink(ports.target_sink, flow)),
        conflict=conflict,
    )


def _as_sink(sink: RecordingSink) -> Sink:
    # As in ``engine.guards``: ``system`` is a property here, a class variable
    # in the protocol; structurally the same.
    recording: Sink = sink  # type: ignore[assignment]
    return recording
