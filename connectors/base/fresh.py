"""Writes checked against a fresh read, so an edit made meanwhile is not overwritten.

A flow decides a write from what it read of the record (``expected``), and a sink
whose API replaces whole records reads the record once more to merge the changes
into it (read-merge-PUT). A human's edit that lands in between would be
overwritten by the merge, and a retry after a 5xx would send the stale body
again. So, right before each attempt of a write (the first and every retry, via
``HttpClient.request(prepare=...)``), ``FreshRead`` reads the record again:

- a field the write sets that someone else changed since ``expected`` (the
  record is newer by its own clock, and the field holds neither the value read
  nor the value being written) stops the write with a ``TransientError``
  ("changed underneath"): the flow runs the change again against the new
  state, where the later edit wins as any conflict does (DESIGN.md rule 5);
- a record deleted since stops it the same way (the re-run unlinks);
- every field the write does not set comes from the fresh read, so an edit of
  another field survives the merge, on a retry too.

None of the seven APIs offers a conditional write (no ETag/If-Match, no
If-Unmodified-Since, no version field the server checks; systems.md), so the
window shrinks to one round trip; it cannot be closed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from connectors.base.entity import EntitySpec
from connectors.errors import TransientError
from schemas.envelope import ChangeEvent, Operation
from schemas.paths import get_value

Read = Callable[[], Awaitable[Any]]
"""Reads the raw record (raising when it does not exist)."""

ToEvent = Callable[[Any], ChangeEvent]
"""Validates a raw record into an event (``HttpSink.event`` for its type)."""


def leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every ``(dotted path, value)`` a write body sets; list items by index."""
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, f"{prefix}.{index}" if prefix else str(index))
    elif prefix:
        yield prefix, value


def _same(left: Any, right: Any) -> bool:
    """Equal, or the same scalar spelled differently (``25`` and ``"25"``, empty)."""
    if left == right:
        return True
    if left in (None, "") and right in (None, ""):
        return True
    scalars = (str, int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    return (
        isinstance(left, scalars)
        and isinstance(right, scalars)
        and (str(left) == str(right))
    )


def _own_time(spec: EntitySpec, event: ChangeEvent) -> bool:
    """Whether the event's time is the record's own (not when tether saw it)."""
    field = spec.updated_field
    return field is not None and get_value(event.data, field) is not None


def overwritten(
    spec: EntitySpec,
    changes: Mapping[str, Any],
    expected: ChangeEvent,
    fresh: ChangeEvent,
) -> list[str]:
    """The fields ``changes`` sets that someone changed between the two reads.

    A record not modified since, by its own clock, changed nothing (two reads
    of one state may spell a value differently). A field already holding the
    value being written is no conflict (an earlier attempt of this very write
    got through before its answer was lost).
    """
    if expected.data is None:
        return []
    timed = _own_time(spec, expected) and _own_time(spec, fresh)
    if timed and fresh.modified_at <= expected.modified_at:
        return []
    return [
        path
        for path, wanted in leaves(changes)
        if not _same(get_value(fresh.data, path), get_value(expected.data, path))
        and not _same(get_value(fresh.data, path), wanted)
    ]


def _holds(row: Any, changes: Mapping[str, Any]) -> bool:
    """Whether ``row`` already holds every value ``changes`` sets."""
    try:
        return all(
            _same(get_value(row, path), value) for path, value in leaves(changes)
        )
    except ValueError:  # a field name that is no dotted path: compare nothing
        return False


class FreshRead:
    """The record as it is right before each attempt of one write.

    Args:
        system: The system, for messages.
        spec: The record's type.
        record_id: The record.
        changes: What the write sets (wire names, nested by path).
        expected: The state the caller decided the write against; without
            it, the first read is the base that later attempts compare with.
        read: Reads the raw record now.
        to_event: Validates a raw record.
    """

    def __init__(
        self,
        *,
        system: str,
        spec: EntitySpec,
        record_id: str,
        changes: Mapping[str, Any],
        expected: ChangeEvent | None,
        read: Read,
        to_event: ToEvent,
    ) -> None:
        self.system = system
        self.spec = spec
        self.record_id = record_id
        self.changes = changes
        self.expected = expected
        self._read = read
        self._to_event = to_event
        self.reads = 0

    async def row(self) -> Any:
        """The raw record now, once checked; what a merge starts from.

        Raises:
            TransientError: The record was changed underneath (or deleted).
        """
        row = await self._read()
        fresh = self._to_event(row)
        self.reads += 1
        base = self.expected
        if fresh.op is Operation.DELETE:
            what = "it was deleted"
            raise self._changed(what)
        if base is not None:
            paths = overwritten(self.spec, self.changes, base, fresh)
            if paths:
                what = f"{', '.join(paths)} changed"
                raise self._changed(what)
        else:
            self.expected = fresh  # later attempts compare with the first read
        if self.reads > 1 and _holds(row, self.changes):
            # A retry that finds the write already there: the last attempt
            # landed and only its answer was lost. Sending it again would be a
            # write that changes nothing (an echo to the other side's eyes).
            what = "the last attempt landed; its answer was lost"
            raise self._changed(what)
        return row

    async def check(self) -> None:
        """``row`` for writes that send their changes alone: keep their body."""
        await self.row()

    def _changed(self, what: str) -> TransientError:
        msg = (
            f"{self.system} {self.spec.name} {self.record_id}: changed underneath "
            f"since it was read ({what}); not overwritten, reconciled again"
        )
        # Nothing to wait for: the change is run again against the new state.
        return TransientError(msg, retry_after=0.0)
