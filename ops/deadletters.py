"""Dead letters for operators: what is still outstanding, and re-driving it after a fix.

Re-driving publishes a record again onto its entity topic (``{app}.{system}.{Type}``)
as a ``ChangeEvent``, so the flows process it like any change. A record that
failed at the source or would not decode is re-read through the connector
(``Sink.get``); a record that failed in a flow is published as the event it
was, unless the system has moved on since (then its current state goes, so an
old state never lands last on the compacted topic). Each re-driven letter gets
a marker on ``{app}.deadletters.redriven``, keyed like the letter: a letter is
outstanding while it has no marker at least as new as itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from connectors.base.protocols import Sink
from connectors.errors import RecordError, TransientError
from engine.badinput import is_page
from ops.readback import each_readable, id_order, readable
from schemas.catalog import SYSTEMS
from schemas.envelope import ChangeEvent, DeadLetter, Redriven
from schemas.utc import utc_now
from streams.topics import TopicNames

log = logging.getLogger(__name__)

UNKNOWN = "<unknown>"
MISSING = "<missing>"


def redriven_topic(names: TopicNames) -> str:
    """Markers of re-driven dead letters, keyed like the letters (compacted)."""
    return names.redriven


@dataclass(frozen=True)
class Entry:
    """An outstanding dead letter with the entity it is about.

    ``system``/``entity`` come from the letter, or for a message that would not
    decode (which names neither) from the entity topic it was read from.
    """

    key: str
    letter: DeadLetter
    system: str
    entity: str

    @property
    def record_id(self) -> str:
        """The id of the record in its system."""
        return self.letter.record_id


def locate(letter: DeadLetter, names: TopicNames) -> tuple[str, str]:
    """The (system, entity type) a dead letter is about, as far as can be told."""
    if letter.system != UNKNOWN and letter.entity != UNKNOWN:
        return letter.system, letter.entity
    prefix = f"{names.app_id}."
    if letter.topic and letter.topic.startswith(prefix):
        system, _, entity = letter.topic.removeprefix(prefix).partition(".")
        if system in SYSTEMS and entity in SYSTEMS[system].types:
            return system, entity
    return letter.system, letter.entity


def outstanding(
    letters: Mapping[str, Any], redriven: Mapping[str, Any], names: TopicNames
) -> list[Entry]:
    """The latest dead letter per key that no re-drive has dealt with yet."""
    entries = []
    for key, letter in each_readable(DeadLetter, letters, "dead letter"):
        marker = _marker(key, redriven.get(key))
        if marker is not None and marker.letter_failed_at >= letter.failed_at:
            continue
        system, entity = locate(letter, names)
        entries.append(Entry(key, letter, system, entity))
    return sorted(entries, key=lambda e: (e.system, e.entity, id_order(e.record_id)))


def _marker(key: str, raw: Any) -> Redriven | None:
    if raw is None:
        return None
    return readable(Redriven, raw, f"re-drive marker {key}")


def select(
    entries: Sequence[Entry], system: str | None = None, entity: str | None = None
) -> list[Entry]:
    """The entries of one system and/or entity type (case-insensitive)."""
    return [
        e
        for e in entries
        if (system is None or e.system.lower() == system.lower())
        and (entity is None or e.entity.lower() == entity.lower())
    ]


class Action(StrEnum):
    """What a re-drive did with one dead letter."""

    REPUBLISHED = "republished"  # the record is on its entity topic again
    GONE = "gone"  # the record no longer exists: nothing to re-drive
    FAILED = "failed"  # still bad, or the system did not answer: try again later
    SKIPPED = "skipped"  # cannot be re-driven (no id, no entity, no connector)


@dataclass(frozen=True)
class RedriveResult:
    """One dead letter's re-drive."""

    entry: Entry
    action: Action
    detail: str

    @property
    def done(self) -> bool:
        """True when the letter is dealt with (re-published or gone)."""
        return self.action in (Action.REPUBLISHED, Action.GONE)


@dataclass(frozen=True)
class RedrivePorts:
    """What re-driving talks to, injected (connectors and Kafka, or test fakes)."""

    sink: Callable[[str], Sink | None]
    publish: Callable[[str, ChangeEvent], Awaitable[None]]
    mark: Callable[[str, Redriven], Awaitable[None]]
    topic_exists: Callable[[str], bool]


async def redrive(
    entries: Sequence[Entry], names: TopicNames, ports: RedrivePorts
) -> list[RedriveResult]:
    """Re-drive each entry; one that fails leaves the rest going."""
    results = []
    for entry in entries:
        result = await redrive_one(entry, names, ports)
        log.info(
            "re-drive %s %s %s: %s (%s)",
            entry.system,
            entry.entity,
            entry.record_id,
            result.action.value,
            result.detail,
        )
        results.append(result)
    return results


async def redrive_one(
    entry: Entry, names: TopicNames, ports: RedrivePorts
) -> RedriveResult:
    """Re-publish one dead-lettered record, then mark it re-driven."""
    if is_page(entry.record_id):
        # Nothing to publish: the poll never moved past the page and reads it
        # again by itself; re-driving just settles the letter.
        await ports.mark(entry.key, _redriven(entry, Action.GONE, None))
        detail = "a listing page: the poller reads it again until it parses"
        return RedriveResult(entry, Action.GONE, detail)
    if entry.record_id in ("", MISSING):
        return RedriveResult(entry, Action.SKIPPED, "the record has no id to re-read")
    if entry.system not in SYSTEMS or entry.entity not in SYSTEMS[entry.system].types:
        return RedriveResult(entry, Action.SKIPPED, "cannot tell which entity it is")
    sink = ports.sink(entry.system)
    if sink is None:
        return RedriveResult(entry, Action.SKIPPED, f"no connector for {entry.system}")
    try:
        current = await sink.get(entry.entity, entry.record_id)
    except RecordError as exc:
        return RedriveResult(entry, Action.FAILED, f"still invalid: {exc}")
    except TransientError as exc:
        return RedriveResult(entry, Action.FAILED, f"{entry.system} unavailable: {exc}")
    if current is None:
        await ports.mark(entry.key, _redriven(entry, Action.GONE, None))
        return RedriveResult(entry, Action.GONE, "no longer exists in the system")
    event, detail = _event_to_publish(entry, current)
    topic = names.entity(event.system, event.entity)
    if not ports.topic_exists(topic):
        detail = f"topic {topic} does not exist: no worker runs a flow of it"
        return RedriveResult(entry, Action.FAILED, detail)
    await ports.publish(topic, event.model_copy(update={"observed_at": utc_now()}))
    await ports.mark(entry.key, _redriven(entry, Action.REPUBLISHED, topic))
    return RedriveResult(entry, Action.REPUBLISHED, detail)


def _event_to_publish(entry: Entry, current: ChangeEvent) -> tuple[ChangeEvent, str]:
    if entry.letter.stage == "flow":
        try:
            dead = ChangeEvent.model_validate(entry.letter.payload)
        except ValidationError:
            return current, "current state (the dead-lettered event is unreadable)"
        moved_on = current.modified_at > dead.modified_at or (
            current.op,
            current.data,
        ) != (
            dead.op,
            dead.data,
        )
        if not moved_on:
            return dead, "the dead-lettered event"
        return current, "current state (changed since it was dead-lettered)"
    return current, "current state"


def _redriven(entry: Entry, action: Action, topic: str | None) -> Redriven:
    return Redriven(
        system=entry.system,
        entity=entry.entity,
        record_id=entry.record_id,
        stage=entry.letter.stage,
        letter_failed_at=entry.letter.failed_at,
        action=action.value,
        topic=topic,
    )
