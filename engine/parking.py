"""Records waiting for a reference: parked in a table, not holding their partition.

A source record whose reference has no link yet (a person whose organisation is
not linked: ``UnresolvedReferenceError``) is kept in the flow's parking table,
keyed by its source id like the flow's inbound topic (so the table is
co-partitioned with it and survives a restart through its changelog), and the
partition goes on. A timer looks at the parked records: once a record's
references resolve in the id map (a global table every worker holds), or once
its wait budget is spent, it is published again onto the flow's own inbound
topic, keyed by its source id, and handled like any change: linked, parked
again, or dead-lettered when the budget is spent. Per-key order holds: a newer
change of the same record replaces the parked one, and a change that went
through clears it. Handling a change twice is harmless (links make it a no-op).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.errors import CoercionError, UnresolvedReferenceError
from engine import mapping
from schemas.dataflow import Flow
from schemas.envelope import ChangeEvent
from schemas.utc import utc_now

log = logging.getLogger(__name__)

Resolver = Callable[[str, str], str | None]


class ParkingSettings(BaseSettings):
    """Parked records (env ``TETHER_PARKING_*``); the wait budget itself is
    ``TETHER_REFERENCE_WAIT_SECONDS``."""

    model_config = SettingsConfigDict(env_prefix="TETHER_PARKING_", frozen=True)

    check_seconds: float = Field(
        1.0, gt=0, description="how often parked records are looked at"
    )
    resend_seconds: float = Field(
        60.0, gt=0, description="a record sent again but still parked is resent after"
    )


@dataclass(frozen=True)
class Parked:
    """A parked change and the end of its wait."""

    event: ChangeEvent
    until: datetime


class Parking(Protocol):
    """What the flow runner asks about references: park, or wait in place."""

    def reference_wait(self, budget: float) -> float:
        """Seconds to wait in place for a reference (of a ``budget``)."""
        ...

    def settle(
        self, event: ChangeEvent, error: Exception | None, budget: float
    ) -> bool:
        """``event`` was handled (``error``: how it failed); whether it is parked."""
        ...


class WaitInPlace:
    """No parking: a change waits for its references in place, up to its budget."""

    def reference_wait(self, budget: float) -> float:
        """All of it."""
        return budget

    def settle(
        self, event: ChangeEvent, error: Exception | None, budget: float
    ) -> bool:
        """Never parked."""
        return False


WAIT_IN_PLACE = WaitInPlace()


def _decode(raw: Any) -> Parked:
    return Parked(
        ChangeEvent.model_validate(raw["event"]), datetime.fromisoformat(raw["until"])
    )


def _newer(a: ChangeEvent, b: ChangeEvent) -> bool:
    return a.modified_at > b.modified_at


class ParkingLot:
    """One flow's parked records, over a mapping keyed by source id.

    Args:
        store: The flow's parking table (a dict in tests).
        flow: The flow.
        resolve: The id map's ``(flow, source id) -> target id``.
        settings: Timer pace and resends.
        now: Current aware time (the wait's end is stored as a time; a wait
            ends no sooner than its budget after this lot was made, at start).
        clock: Monotonic seconds (resends).
    """

    def __init__(
        self,
        store: MutableMapping[str, Any],
        flow: Flow,
        resolve: Resolver,
        settings: ParkingSettings | None = None,
        *,
        now: Callable[[], datetime] = utc_now,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self.flow = flow
        self._resolve = resolve
        self.settings = settings or ParkingSettings()
        self._now = now
        self._clock = clock
        self._started = now()
        # Sent again, not handled yet: (version, when); in memory, a restart
        # only sends once more.
        self._sent: dict[str, tuple[datetime, float]] = {}
        # Parked changes when ``due`` last looked (it reads them all anyway).
        self.pending = 0

    def reference_wait(self, budget: float) -> float:
        """None: a change waiting for a reference is parked at once."""
        return 0.0

    def settle(
        self, event: ChangeEvent, error: Exception | None, budget: float
    ) -> bool:
        """After ``event`` (keyed by its id) was handled; whether it is parked.

        Unresolved, it is parked while ``budget`` lasts; handled or
        dead-lettered, whatever older waited for it is forgotten.
        """
        if isinstance(error, UnresolvedReferenceError):
            return self.park(event.id, event, budget)
        self.done(event.id, event)
        return False

    def get(self, key: str) -> Parked | None:
        """The parked change of ``key``, if any."""
        raw = self._store.get(key)
        return _decode(raw) if raw else None

    def park(self, key: str, event: ChangeEvent, budget: float) -> bool:
        """Park ``event``; ``False`` (and nothing parked) once its wait is spent.

        Args:
            key: The source id.
            event: The change that found a reference without a link.
            budget: Seconds a new version may wait (0: dead-letter it now).
        """
        now = self._now()
        held = self.get(key)
        if held is not None and not _newer(event, held.event):
            # The same version again (sent again by the timer, or re-read): its
            # wait goes on; an older one never replaces a newer one.
            keep, until = held.event, held.until
        else:
            keep, until = event, now + timedelta(seconds=budget)
        # The wait counts while a worker runs: the links it waits for are made
        # by running workers too, so after a restart (a deploy, an outage longer
        # than the wait) a parked change gets its whole wait again rather than
        # a dead letter for the time no worker ran.
        until = max(until, self._started + timedelta(seconds=budget))
        if now >= until:
            self.clear(key)
            return False
        self._store[key] = {
            "event": keep.model_dump(mode="json"),
            "until": until.isoformat(),
        }
        if held is None:
            log.info(
                "%s: %s %s %s parked until its reference is linked (until %s)",
                self.flow.name,
                event.system,
                event.entity,
                event.id,
                until.isoformat(timespec="seconds"),
                extra={
                    "flow": self.flow.name,
                    "system": event.system,
                    "type": event.entity,
                    "id": event.id,
                },
            )
        return True

    def done(self, key: str, event: ChangeEvent) -> None:
        """``event`` went through: a parked change no newer than it is obsolete."""
        held = self.get(key)
        if held is not None and not _newer(held.event, event):
            self.clear(key)

    def clear(self, key: str) -> None:
        """Forget ``key``'s parked change."""
        if key in self._store:
            del self._store[key]
        self._sent.pop(key, None)

    def due(self) -> list[tuple[str, ChangeEvent]]:
        """Parked changes to send again now: references linked, or wait spent."""
        now, mono = self._now(), self._clock()
        found: list[tuple[str, ChangeEvent]] = []
        seen: set[str] = set()
        for key, raw in list(self._store.items()):
            if not raw:
                continue
            seen.add(key)
            held = _decode(raw)
            sent = self._sent.get(key)
            if (
                sent is not None
                and sent[0] == held.event.modified_at
                and mono - sent[1] < self.settings.resend_seconds
            ):
                continue  # on its way already
            if now >= held.until or self._resolves(held.event):
                found.append((key, held.event))
                self._sent[key] = (held.event.modified_at, mono)
        for gone in self._sent.keys() - seen:
            del self._sent[gone]
        self.pending = len(seen)
        return found

    def _resolves(self, event: ChangeEvent) -> bool:
        try:
            values = mapping.project_source(self.flow, event.data, self._resolve)
        except CoercionError:
            return True  # its handling dead-letters it
        return not mapping.unresolved_references(self.flow, event.data, values)
