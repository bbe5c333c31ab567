"""Running tallies of tether's topics, each fed one message at a time."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from schemas.envelope import DeadLetter
from schemas.observe import WorkerSnapshot
from schemas.utc import utc_now

log = logging.getLogger(__name__)

REDRIVEN_SUFFIX = ".redriven"
FUTURE_TOLERANCE = timedelta(minutes=1)
"""How far ahead of this clock a worker's clock may be."""
"""``{app}.deadletters.redriven``: markers of re-driven letters, keyed like them
(``ops.deadletters.redriven_topic`` names it; ``ops`` is above this layer)."""


class Latest:
    """The latest value per key of a compacted topic (a tombstone removes its key)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, key: str | None, value: Any) -> None:
        if key is None:
            return
        if value is None:
            self.values.pop(key, None)
        else:
            self.values[key] = value


class FlowCounts:
    """Messages per flow (the value's ``flow``) of a topic kept for a time."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, key: str | None, value: Any) -> None:
        flow = value.get("flow") if isinstance(value, dict) else None
        if isinstance(flow, str):
            self.counts[flow] += 1


class LinkCount:
    """The links in one flow's link table, from the table's changelog.

    A row with ``target_deleted_at`` only remembers a deleted target
    (``schemas.links.Link.tombstone``): it is no link.
    """

    def __init__(self) -> None:
        self._linked: set[str] = set()

    def __call__(self, key: str | None, value: Any) -> None:
        if key is None:
            return
        if isinstance(value, dict) and not value.get("target_deleted_at"):
            self._linked.add(key)
        else:
            self._linked.discard(key)

    def __len__(self) -> int:
        return len(self._linked)


class Workers:
    """Each worker's newest snapshot on ``{app}.workers``, and the one before it
    (the rate of a flow is what happened between the two)."""

    def __init__(self) -> None:
        self.latest: dict[str, WorkerSnapshot] = {}
        self.before: dict[str, WorkerSnapshot] = {}

    def __call__(self, key: str | None, value: Any) -> None:
        if value is None:
            if key is not None:
                self.latest.pop(key, None)
                self.before.pop(key, None)
            return
        try:
            snapshot = WorkerSnapshot.model_validate(value)
        except ValidationError:
            log.warning("skipping an unreadable worker snapshot %s", key)
            return
        if snapshot.at > utc_now() + FUTURE_TOLERANCE or snapshot.worker != key:
            # Anyone may write to a topic: a snapshot from the future would
            # stay "fresh" and outweigh every real worker's for good.
            log.warning("skipping a worker snapshot that is no worker's now: %s", key)
            return
        current = self.latest.get(snapshot.worker)
        if current is not None and snapshot.at <= current.at:
            return  # an older one delivered late changes nothing
        if current is not None:
            self.before[snapshot.worker] = current
        self.latest[snapshot.worker] = snapshot

    def add(self, snapshots: Iterable[WorkerSnapshot]) -> None:
        """Take ``snapshots`` as if read from the topic (tests, a worker's own)."""
        for snapshot in snapshots:
            self(snapshot.worker, snapshot.model_dump(mode="json"))


class DeadLetters:
    """Outstanding dead letters: the latest letter per key on ``{app}.deadletters``
    that no marker on ``{app}.deadletters.redriven`` at least as new covers."""

    def __init__(self) -> None:
        self._letters: dict[str, DeadLetter] = {}
        self._redriven: dict[str, datetime] = {}

    def letter(self, key: str | None, value: Any) -> None:
        """Fold a message of ``{app}.deadletters``."""
        if key is None:
            return
        if value is None:
            self._letters.pop(key, None)
            return
        try:
            self._letters[key] = DeadLetter.model_validate(value)
        except ValidationError:
            log.warning("skipping an unreadable dead letter %s", key)

    def marker(self, key: str | None, value: Any) -> None:
        """Fold a message of ``{app}.deadletters.redriven``."""
        if key is None:
            return
        raw = value.get("letter_failed_at") if isinstance(value, dict) else None
        if not isinstance(raw, str):
            self._redriven.pop(key, None)
            return
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            log.warning("skipping an unreadable re-drive marker %s", key)
            return
        self._redriven[key] = when

    def outstanding(self) -> list[DeadLetter]:
        """The letters not re-driven since they failed."""
        return [
            letter
            for key, letter in self._letters.items()
            if key not in self._redriven or self._redriven[key] < letter.failed_at
        ]
