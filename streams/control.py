"""The control table from outside a worker: which flows are paused, pause, resume.

Workers hold the table whole (a one-partition shared table, ``streams.tables``)
and follow its changelog, so an entry written onto that changelog here reaches
every running worker within moments, and every worker started later.
"""

from __future__ import annotations

from typing import Any

import orjson

from engine.control import FlowState
from schemas.envelope import FlowReport
from streams.kafka_io import existing_topics, publisher, read_latest
from streams.provision import TopicSpec, ensure_topics
from streams.settings import StreamSettings
from streams.topics import TopicNames

CONTROL_TABLE = "control"
"""The shared table of flow states (``engine.control.ControlTable``)."""


def control_topic(app_id: str) -> str:
    """The changelog topic of the control table (faust's naming)."""
    return f"{app_id}-{CONTROL_TABLE}-changelog"


def _key(flow: str) -> str:
    # faust writes a table's changelog keys with the table's key serializer,
    # JSON: a flow's key is its name in quotes.
    return orjson.dumps(flow).decode()


def _flow(key: str) -> str:
    try:
        name = orjson.loads(key)
    except orjson.JSONDecodeError:
        return key
    return name if isinstance(name, str) else key


async def read_states(settings: StreamSettings) -> dict[str, Any]:
    """Every flow's recorded state by flow name, raw (empty when none was paused)."""
    topic = control_topic(settings.app_id)
    if topic not in await existing_topics(settings.kafka_bootstrap):
        return {}
    latest = await read_latest(settings.kafka_bootstrap, topic)
    return {_flow(key): value for key, value in latest.items()}


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
