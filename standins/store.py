"""A stand-in's thread-safe in-memory store: records per resource, clock, write log."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

Record = dict[str, Any]
Listener = Callable[[str, Any, Any, str], None]
"""(resource, key, record or None, "created"|"updated"|"deleted") after a write."""

# Server-assigned modification times are strictly increasing: an equal (or earlier,
# after a clock step) reading is bumped by this much, so change feeds never tie.
CLOCK_STEP = timedelta(milliseconds=1)


@dataclass
class Entry:
    """One stored record plus what the server knows about it beyond its fields.

    ``stamp`` is the server time of the last write. Listings fall back to it when the
    record's own modification time is missing or unparsable (``inject_raw``), so a
    malformed record still has one place in every change feed.
    """

    record: Record
    stamp: datetime
    raw: bool = False


@dataclass(frozen=True)
class WriteRecord:
    """One API write that created or changed data."""

    method: str
    path: str
    resource: str
    id: Any
    time: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the admin endpoint."""
        return {
            "method": self.method,
            "path": self.path,
            "resource": self.resource,
            "id": self.id,
            "time": self.time.isoformat(),
        }


@dataclass
class Store:
    """Records per resource behind one re-entrant lock.

    Handlers that read, decide and write hold ``lock`` across the whole step, so a
    concurrent request or a test's ``edit`` never interleaves with it.
    """

    resources: tuple[str, ...]
    precision: timedelta = timedelta(microseconds=1)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _data: dict[str, dict[Any, Entry]] = field(default_factory=dict)
    _next_id: dict[str, int] = field(default_factory=dict)
    _raw_seq: int = 0
    _last_tick: datetime | None = None
    _writes: list[WriteRecord] = field(default_factory=list)
    listener: Listener | None = None
    _muted: int = 0

    def __post_init__(self) -> None:
        for name in self.resources:
            self._data.setdefault(name, {})

    # -- clock and ids ------------------------------------------------------------

    def tick(self) -> datetime:
        """The server's time for a new write: UTC, truncated, strictly increasing."""
        with self.lock:
            now = _truncate(datetime.now(UTC), self.precision)
            if self._last_tick is not None and now <= self._last_tick:
                now = self._last_tick + CLOCK_STEP
            self._last_tick = now
            return now

    def next_id(self, resource: str, start: int = 1) -> int:
        """The next server-assigned number for ``resource``."""
        with self.lock:
            value = max(self._next_id.get(resource, start), start)
            self._next_id[resource] = value + 1
            return value

    def reserve_id(self, resource: str, used: Any, prefix: str = "") -> None:
        """Note an id given by the caller (seed) so assigned ids never collide.

        ``used`` is a number, or text whose rest after ``prefix`` is digits
        (``C-1001``); any other id holds no number to reserve.
        """
        if isinstance(used, str) and used.removeprefix(prefix).isdigit():
            used = int(used.removeprefix(prefix))
        if not isinstance(used, int) or isinstance(used, bool):
            return
        with self.lock:
            if used >= self._next_id.get(resource, 1):
                self._next_id[resource] = used + 1

    # -- records ------------------------------------------------------------------

    def _table(self, resource: str) -> dict[Any, Entry]:
        try:
            return self._data[resource]
        except KeyError:
            msg = f"unknown resource {resource!r}; known: {', '.join(self.resources)}"
            raise KeyError(msg) from None

    def has(self, resource: str, key: Any) -> bool:
        """Whether a record is stored under ``key``."""
        with self.lock:
            return key in self._table(resource)

    def get(self, resource: str, key: Any) -> Record | None:
        """A copy of the record under ``key``, or None."""
        with self.lock:
            entry = self._table(resource).get(key)
            return None if entry is None else copy.deepcopy(entry.record)

    def entry(self, resource: str, key: Any) -> Entry | None:
        """The live entry (hold ``lock`` while using it)."""
        with self.lock:
            return self._table(resource).get(key)

    def put(
        self, resource: str, key: Any, record: Record, stamp: datetime | None = None
    ) -> None:
        """Store (or replace) a well-formed record under ``key``."""
        with self.lock:
            when = stamp or self.tick()
            table = self._table(resource)
            kind = "updated" if key in table else "created"
            table[key] = Entry(copy.deepcopy(record), when)
            self._changed(resource, key, record, kind)

    def put_raw(self, resource: str, key: Any, record: Any) -> Any:
        """Store ``record`` as-is; a None key gets a synthetic one. Returns the key."""
        with self.lock:
            if key is None or not _hashable(key):
                self._raw_seq += 1
                key = f"_raw-{self._raw_seq}"
            table = self._table(resource)
            kind = "updated" if key in table else "created"
            table[key] = Entry(copy.deepcopy(record), self.tick(), raw=True)
            self._changed(resource, key, record, kind)
            return key

    def remove(self, resource: str, key: Any) -> bool:
        """Hard-delete a record; False when there was none."""
        with self.lock:
            gone = self._table(resource).pop(key, None)
            if gone is not None:
                self._changed(resource, key, gone.record, "deleted")
            return gone is not None

    @contextmanager
    def muted(self) -> Iterator[None]:
        """Writes inside tell no listener (seeding: data that was always there)."""
        with self.lock:
            self._muted += 1
            try:
                yield
            finally:
                self._muted -= 1

    def _changed(self, resource: str, key: Any, record: Any, kind: str) -> None:
        if self.listener is not None and not self._muted:
            self.listener(resource, key, copy.deepcopy(record), kind)

    def entries(self, resource: str) -> list[tuple[Any, Entry]]:
        """Snapshot of (key, entry) pairs with copied records, in insertion order."""
        with self.lock:
            return [
                (key, Entry(copy.deepcopy(e.record), e.stamp, e.raw))
                for key, e in self._table(resource).items()
            ]

    def clear(self) -> None:
        """Forget every record, id counter and write (tests reuse one server)."""
        with self.lock:
            for table in self._data.values():
                table.clear()
            self._next_id.clear()
            self._raw_seq = 0
            self._writes.clear()

    # -- write log ----------------------------------------------------------------

    def log_write(self, method: str, path: str, resource: str, key: Any) -> None:
        """Count one API write that created or changed data."""
        with self.lock:
            stamp = datetime.now(UTC)
            self._writes.append(WriteRecord(method, path, resource, key, stamp))

    def writes(self, resource: str | None = None) -> list[WriteRecord]:
        """The write log, optionally for one resource."""
        with self.lock:
            return [
                w for w in self._writes if resource is None or w.resource == resource
            ]

    def reset_counters(self) -> None:
        """Empty the write log, keep the data."""
        with self.lock:
            self._writes.clear()


def _truncate(value: datetime, precision: timedelta) -> datetime:
    step = precision // timedelta(microseconds=1)
    return value.replace(microsecond=value.microsecond - value.microsecond % step)


def _hashable(key: Any) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def parse_iso(value: Any, naive_tz: tzinfo = UTC) -> datetime | None:
    """A tz-aware datetime from an ISO string (naive means ``naive_tz``), else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=naive_tz)


def order_key(values: Iterable[Any]) -> tuple[tuple[int, Any], ...]:
    """A sort key that orders mixed-type values (ints, strings, junk) stably."""
    out: list[tuple[int, Any]] = []
    for value in values:
        if isinstance(value, datetime):
            out.append((0, value.timestamp()))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out.append((0, value))
        else:
            out.append((1, str(value)))
    return tuple(out)
