"""``tether resync``: a full re-read of a flow's types by the polling leader, or
one entity read now and published onto its entity topic as a poll would."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.errors import ConfigurationError, RecordError
from engine.control import ResyncRequest
from engine.runtime import Connectors
from schemas.dataflow import EntityRef, Flow, TargetMode
from schemas.envelope import Operation
from schemas.utc import utc_text
from streams.control import request_resyncs
from streams.kafka_io import existing_topics, publisher
from streams.settings import StreamSettings
from streams.topics import TopicNames


def resynced_types(flow: Flow) -> list[EntityRef]:
    """The types a full resync of ``flow`` re-reads: its source, and its target
    where the workers poll it (value-keyed targets are read as catalogs)."""
    refs = [flow.source]
    if flow.target_mode is not TargetMode.VALUE_KEYED and flow.target != flow.source:
        refs.append(flow.target)
    return refs


async def request_full(settings: StreamSettings, flow: Flow, by: str) -> str:
    """Ask the polling leader for a full re-read of ``flow``'s types; as text."""
    requests = [
        ResyncRequest(system=ref.system, entity=ref.type, flow=flow.name, by=by)
        for ref in resynced_types(flow)
    ]
    await request_resyncs(settings, requests)
    lines = [
        f"requested a full re-read of {r.system} {r.entity} at "
        f"{utc_text(r.requested_at, timespec='seconds', sep=' ')}: the polling "
        "leader reads it whole at its next poll\n"
        for r in requests
    ]
    return "".join(lines)


@dataclass(frozen=True)
class OneResync:
    """What ``resync --id`` did: its text, and whether the entity was published."""

    text: str
    published: bool


async def resync_one(
    settings: StreamSettings, flow: Flow, record_id: str, connectors: Connectors
) -> OneResync:
    """Read ``record_id`` of ``flow``'s source now and publish it (acknowledged)
    onto its entity topic, checked as its source checks a polled record."""
    ref = flow.source
    names = TopicNames(settings.app_id)
    topic = names.entity(ref.system, ref.type)
    if topic not in await existing_topics(settings.kafka_bootstrap):
        msg = (
            f"topic {topic} does not exist: no worker has run flow {flow.name} "
            f"with app id {settings.app_id!r} on {settings.kafka_bootstrap}"
        )
        raise ConfigurationError(msg)
    await connectors.open()
    try:
        event = await connectors.sink(ref.system).get(ref.type, record_id)
        if event is None:
            text = (
                f"{ref.system} {ref.type} {record_id}: the system has no such "
                "record (deleted, or never there); nothing published\n"
            )
            return OneResync(text, published=False)
        connectors.source(ref.system).check(event)
    except RecordError as exc:
        text = f"{ref.system} {ref.type} {record_id}: cannot be read: {exc}\n"
        return OneResync(text, published=False)
    finally:
        await connectors.aclose()
    async with publisher(settings.kafka_bootstrap) as send:
        await send(topic, event.id, event.model_dump(mode="json"))
    what = "a delete" if event.op is Operation.DELETE else "its current state"
    text = (
        f"published {what} of {ref.system} {ref.type} {event.id} (modified "
        f"{utc_text(event.modified_at, timespec='seconds', sep=' ')}) onto {topic}\n"
    )
    return OneResync(text, published=True)
