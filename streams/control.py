"""The control table from outside a worker: which flows are paused, pause, resume.

Workers hold the table whole (a one-partition shared table, ``streams.tables``)
and follow its changelog, so an entry written onto that changelog here reaches
every running worker within moments, and every worker started later.
"""

from __future__ import annotations

from typing import Any

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


async def read_states(settings: StreamSettings) -> dict[str, Any]:
    """Every flow's recorded state, raw (empty when no flow was ever paused)."""
    topic = control_topic(settings.app_id)
    if topic not in await existing_topics(settings.kafka_bootstrap):
        return {}
    return await read_latest(settings.kafka_bootstrap, topic)


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
        await send(specs[0].name, state.flow, state.model_dump(mode="json"))
        await send(names.reports, f"{state.flow}/", report.model_dump(mode="json"))
