"""The state a flow keeps, over any key-value store: links, the id map, routing.

The engine reads and writes these through a ``MutableMapping[str, Any]`` of JSON
values: in a worker a faust table (RocksDB with a changelog topic), in tests a
plain ``dict``. What the values mean lives here, not in the wiring.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.envelope import ChangeEvent
from schemas.links import Link, LinkNotice, LinkOp

Store = MutableMapping[str, Any]


@dataclass(frozen=True)
class LinkGlance:
    """What telling a replayed event needs of a link, read without validating it."""

    target_id: str
    source_seen_at: datetime | None
    target_seen_at: datetime | None
    tombstone: bool


def _when(raw: Any) -> datetime | None:
    """An aware time stored as ISO text; ``None`` for anything else."""
    if not isinstance(raw, str):
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


class LinkTable:
    """One flow's links, keyed by source id."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, source_id: str) -> Link | None:
        """The link of ``source_id``, if any."""
        raw = self._store.get(source_id)
        return Link.model_validate(raw) if raw else None

    def glance(self, source_id: str) -> LinkGlance | None:
        """A quick look at the link of ``source_id`` (a full ``Link`` costs more)."""
        raw = self._store.get(source_id)
        if not raw or not isinstance(raw, dict):
            return None
        return LinkGlance(
            target_id=str(raw.get("target_id") or ""),
            source_seen_at=_when(raw.get("source_seen_at")),
            target_seen_at=_when(raw.get("target_seen_at")),
            tombstone=raw.get("target_deleted_at") is not None,
        )

    def put(self, source_id: str, link: Link) -> None:
        """Store ``link`` under ``source_id``."""
        self._store[source_id] = link.model_dump(mode="json")

    def delete(self, source_id: str) -> None:
        """Forget the link of ``source_id`` (nothing happens if there is none)."""
        if source_id in self._store:
            del self._store[source_id]

    def __len__(self) -> int:
        return len(self._store)


class IdMap:
    """Source id <-> target id of every announced link of every flow.

    References between flows (a contact's customer) resolve through it, and a
    remembered pair proves that its link notice reached the broker
    (``engine.redelivery``). A pair whose notice is being sent is pending: the
    router believes a link notice only when the id map holds its pair, pending
    or remembered (``engine.notices``). Keys: ``{flow}/s/{source id}`` and
    ``{flow}/t/{target id}``, pending ``{flow}/p/{target id}`` (the source id),
    and ``{flow}/x/{source id}``: the targets an operator unlinked from it.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def resolve(self, flow: str, source_id: str) -> str | None:
        """The target id linked to ``source_id`` in ``flow``."""
        found = self._store.get(f"{flow}/s/{source_id}")
        return str(found) if found is not None else None

    def resolve_reverse(self, flow: str, target_id: str) -> str | None:
        """The source id linked to ``target_id`` in ``flow``."""
        found = self._store.get(f"{flow}/t/{target_id}")
        return str(found) if found is not None else None

    def holds(self, flow: str, source_id: str, target_id: str) -> bool:
        """Whether ``source_id`` <-> ``target_id`` is a pair, remembered or pending."""
        if self._store.get(f"{flow}/p/{target_id}") == source_id:
            return True
        return (
            self.resolve(flow, source_id) == target_id
            and self.resolve_reverse(flow, target_id) == source_id
        )

    def expect(self, notice: LinkNotice) -> None:
        """A link notice is about to be sent: its pair is pending until remembered."""
        self._store[f"{notice.flow}/p/{notice.target_id}"] = notice.source_id

    def remember(self, notice: LinkNotice) -> None:
        """Record a link once its notice is acknowledged; forget an unlinked pair."""
        forward = f"{notice.flow}/s/{notice.source_id}"
        backward = f"{notice.flow}/t/{notice.target_id}"
        pending = f"{notice.flow}/p/{notice.target_id}"
        if notice.op is LinkOp.LINK:
            self._store[forward] = notice.target_id
            self._store[backward] = notice.source_id
            self._drop(pending, notice.source_id)
            return
        # Only this pair's entries: another source may hold the target by now.
        self._drop(forward, notice.target_id)
        self._drop(backward, notice.source_id)
        self._drop(pending, notice.source_id)

    def refuse(self, flow: str, source_id: str, target_id: str) -> None:
        """An operator unlinked this pair: never match it again (``tether unlink``)."""
        refused = self.refused(flow, source_id)
        if target_id not in refused:
            self._store[f"{flow}/x/{source_id}"] = [*refused, target_id]

    def refused(self, flow: str, source_id: str) -> tuple[str, ...]:
        """The targets an operator unlinked from ``source_id``."""
        found = self._store.get(f"{flow}/x/{source_id}")
        return tuple(str(t) for t in found) if isinstance(found, list) else ()

    def _drop(self, key: str, value: str) -> None:
        if self._store.get(key) == value:
            del self._store[key]


@dataclass(frozen=True)
class Route:
    """What the router knows of one target entity: its source, or a parked change.

    ``offset`` is the links-topic offset of the last notice believed for the
    target: every notice of a target is on one partition (keyed by target id),
    so a notice at or below it is a replay of one already dealt with.
    """

    source_id: str | None
    parked: ChangeEvent | None = None
    offset: int | None = None


class RouteTable:
    """One flow's routes, keyed by target id (the router's own partitioning)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, target_id: str) -> Route:
        """The route of ``target_id`` (no source, nothing parked when unknown)."""
        raw = self._store.get(target_id) or {}
        parked = raw.get("parked")
        return Route(
            source_id=raw.get("source_id"),
            parked=ChangeEvent.model_validate(parked) if parked else None,
            offset=raw.get("offset"),
        )

    def link(self, target_id: str, source_id: str, offset: int | None = None) -> None:
        """``target_id`` now belongs to ``source_id`` (by the notice at ``offset``)."""
        self._store[target_id] = {"source_id": source_id, "offset": offset}

    def unlink(self, target_id: str, offset: int | None = None) -> None:
        """``target_id`` belongs to nobody now (by the notice at ``offset``)."""
        self._store[target_id] = {"source_id": None, "offset": offset}

    def park(self, event: ChangeEvent) -> None:
        """Keep the latest state of a target nobody links to yet."""
        offset = (self._store.get(event.id) or {}).get("offset")
        self._store[event.id] = {
            "source_id": None,
            "parked": event.model_dump(mode="json"),
            "offset": offset,
        }
