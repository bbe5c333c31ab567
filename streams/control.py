"""The control tables from outside a worker: paused flows, resync requests, and
the operator commands sent onto a flow's own commands topic.

Workers hold the table whole (a one-partition shared table, ``streams.tables``)
and follow its changelog, so an entry written onto that changelog here reaches
every running worker within moments, and every worker started later.
"""

from __future__ import annotations

from typing import Any

import orjson

from engine.control import (
    FlowState,
    ResyncRequest,
    UnlinkCommand,
    done_key,
    request_key,
)
from schemas.envelope import FlowReport
from streams.kafka_io import existing_topics, publisher, read_latest, table_key
from streams.provision import TopicSpec, ensure_topics
from streams.settings import StreamSettings
from streams.topics import TopicNames

CONTROL_TABLE = "control"
"""The shared table of flow states (``engine.control.ControlTable``)."""


RESYNC_TABLE = "resync"
"""The shared table of resync requests (``engine.control.ResyncRequests``)."""


def control_topic(app_id: str) -> str:
    """The changelog topic of the control table (faust's naming)."""
    return f"{app_id}-{CONTROL_TABLE}-changelog"


def _key(flow: str) -> str:
    # faust writes a table's changelog keys with the table's key serializer,
    # JSON: a flow's key is its name in quotes.
    return orjson.dumps(flow).decode()


async def read_states(settings: StreamSettings) -> dict[str, Any]:
    """Every flow's recorded state by flow name, raw (empty when none was paused)."""
    topic = control_topic(settings.app_id)
    if topic not in await existing_topics(settings.kafka_bootstrap):
        return {}
    latest = await read_latest(settings.kafka_bootstrap, topic)
    return {table_key(key): value for key, value in latest.items()}


async def write_state(settings: StreamSettings, state: FlowState) -> None:
    """Record ``state`` for every worker, and report the change on the reports
    topic (kind ``paused`` or ``resumed``) for whoever watches it."""
    names = TopicNames(settings.app_id)
    specs = [
        TopicSpec(control_topic(settings.app_id), 1, compacted=True),
        TopicSpec(names.reports, settings.partitions),
    ]
    await ensure_topics(settings.kafka_bootstrap, specs, settings.replication_factor)
    report = FlowReport(
        flow=state.flow,
        kind="paused" if state.paused else "resumed",
        source_id="",
        detail=state.reason,
    )
    async with publisher(settings.kafka_bootstrap) as send:
        await send(specs[0].name, _key(state.flow), state.model_dump(mode="json"))
        await send(names.reports, f"{state.flow}/", report.model_dump(mode="json"))


def resync_topic(app_id: str) -> str:
    """The changelog topic of the resync table (faust's naming)."""
    return f"{app_id}-{RESYNC_TABLE}-changelog"


def commands_topic(app_id: str, flow: str) -> str:
    """A flow's operator commands, keyed by source id, read with its source
    changes (only operators may write it: README, "Other commands")."""
    return TopicNames(app_id).commands(flow)


async def request_resyncs(
    settings: StreamSettings, requests: list[ResyncRequest]
) -> None:
    """Record ``requests`` for whichever worker leads (acknowledged)."""
    spec = TopicSpec(resync_topic(settings.app_id), 1, compacted=True)
    await ensure_topics(settings.kafka_bootstrap, [spec], settings.replication_factor)
    async with publisher(settings.kafka_bootstrap) as send:
        for request in requests:
            key = _key(request_key(request.system, request.entity))
            await send(spec.name, key, request.model_dump(mode="json"))


async def read_resyncs(settings: StreamSettings) -> dict[str, Any]:
    """The resync table, raw, by its keys (``request/...`` and ``done/...``)."""
    topic = resync_topic(settings.app_id)
    if topic not in await existing_topics(settings.kafka_bootstrap):
        return {}
    latest = await read_latest(settings.kafka_bootstrap, topic)
    return {table_key(key): value for key, value in latest.items()}


def resync_state(table: dict[str, Any], system: str, entity: str) -> tuple[Any, Any]:
    """The raw request and done entries of ``system``/``entity``."""
    return table.get(request_key(system, entity)), table.get(done_key(system, entity))


async def send_unlink(settings: StreamSettings, command: UnlinkCommand) -> None:
    """Send ``command`` onto its flow's commands topic, keyed by source id (acked)."""
    spec = TopicSpec(commands_topic(settings.app_id, command.flow), settings.partitions)
    await ensure_topics(settings.kafka_bootstrap, [spec], settings.replication_factor)
    async with publisher(settings.kafka_bootstrap) as send:
        await send(spec.name, command.source_id, command.model_dump(mode="json"))
