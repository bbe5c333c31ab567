"""What each worker publishes about itself: snapshots, write records, lag, links.

Wired once by ``streams.topology`` (``wire_observing``): ``{app}.writes``
(kept ``TETHER_WRITES_RETENTION_HOURS``, never compacted) and the flows'
``engine.recording.WriteLog``; the compacted ``{app}.workers`` and, every
``TETHER_SNAPSHOT_SECONDS``, refreshes the metrics read from faust (consumer
lag, links, parked changes) and publishes this worker's ``WorkerSnapshot``
(once more with ``stopping`` when it stops).

Links are counted per flow in this worker's active partitions of the link
table: exactly while a partition's RocksDB holds few rows, from RocksDB's own
estimate (``rocksdb.estimate-num-keys``) above that, so a million-link table
is never iterated every few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import faust
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.settings import load_settings
from engine import metrics
from engine.recording import WriteLog
from engine.runner import FlowRunner
from schemas.dataflow import Flow
from schemas.observe import WorkerSnapshot, WriteRecord
from streams.writelog import WriteSender, wire_sender

if TYPE_CHECKING:
    from streams.topology import Topology

log = logging.getLogger(__name__)

EXACT_BELOW = 20_000
"""A partition estimated to hold fewer rows is counted exactly."""

_OFFSET_KEY_PREFIX = b"__faust"  # faust keeps its changelog offset in each db


class ObserveSettings(BaseSettings):
    """Worker snapshots and write records (env ``TETHER_*``)."""

    model_config = SettingsConfigDict(env_prefix="TETHER_", frozen=True)

    snapshot_seconds: float = Field(
        5.0, gt=0, description="how often a worker publishes its snapshot"
    )
    writes_retention_hours: float = Field(
        168.0, gt=0, description="how long {app}.writes keeps write records"
    )


def worker_id() -> str:
    """This worker: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def wire_observing(topology: Topology) -> WriteLog:
    """Declare both topics, start the snapshots; the flows' write log.

    Called before the flows are registered: the snapshots read
    ``topology.runners`` each time.
    """
    settings = load_settings(ObserveSettings)
    metrics.declare(topology.flows)
    sender = _wire_writes(topology, settings)
    _wire_snapshots(topology, settings, sender)
    return WriteLog(sender.send, worker_id())


def _wire_writes(topology: Topology, settings: ObserveSettings) -> WriteSender:
    name = topology.names.writes
    topic = topology._topic(name, WriteRecord)  # noqa: SLF001 - one topic table
    retention_ms = int(settings.writes_retention_hours * 3_600_000)
    topology.topic_specs[:] = [
        replace(s, retention_ms=retention_ms) if s.name == name else s
        for s in topology.topic_specs
    ]
    return wire_sender(topology.app, topic, topology.settings.max_message_bytes)


def _wire_snapshots(
    topology: Topology, settings: ObserveSettings, sender: WriteSender
) -> None:
    """Publish this worker's snapshot every few seconds and when it stops."""
    app = topology.app
    topic = topology._topic(  # noqa: SLF001 - one topic table
        topology.names.workers, WorkerSnapshot, compacted=True
    )
    systems = sorted(
        {ref.system for f in topology.flows.values() for ref in (f.source, f.target)}
    )
    metrics.watch_states(
        lambda: {name: topology.control.get(name).paused for name in topology.flows},
        lambda: {s: not topology.health.is_failing(s) for s in systems},
    )
    me = worker_id()
    held: list[dict[str, int]] = [{}, {}]  # links, pending: as last refreshed

    async def publish() -> None:
        if app.rebalancing:
            return
        try:
            held[:] = await refresh(topology)
            snapshot = metrics.ACTIVITY.snapshot(me, links=held[0], pending=held[1])
            await topic.send(key=me, value=snapshot)
        except Exception as exc:  # noqa: BLE001 - a snapshot must never stop a worker
            log.warning("worker snapshot not sent: %r", exc)

    app.timer(settings.snapshot_seconds, name="worker-snapshot")(publish)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def stopping(app: Any, **_: Any) -> None:
        # The consumer has stopped and the tables are closed (the counts are
        # the last refreshed); the producer is flushed after this.
        try:
            await sender.drain()
            last = metrics.ACTIVITY.snapshot(
                me, links=held[0], pending=held[1], stopping=True
            )
            await asyncio.wait_for(await topic.send(key=me, value=last), 10.0)
        except Exception as exc:  # noqa: BLE001 - stopping goes on regardless
            log.warning("last worker snapshot not sent: %r", exc)


async def refresh(topology: Topology) -> tuple[dict[str, int], dict[str, int]]:
    """Refresh lag, links and parked changes of every flow; links and parked."""
    app = topology.app
    try:
        assigned = set(app.consumer.assignment())
    except Exception:  # noqa: BLE001 - no consumer yet (starting, stopping)
        assigned = set()
    inputs = {name: _inputs(topology, flow) for name, flow in topology.flows.items()}
    wanted = {tp for tp in assigned if any(tp.topic in i for i in inputs.values())}
    behind = await _behind(app, wanted)  # once per partition: flows share topics
    links: dict[str, int] = {}
    pending: dict[str, int] = {}
    for name, runner in topology.runners.items():
        flow = topology.flows[name]
        source_topic = topology.names.entity(flow.source.system, flow.source.type)
        partitions = {tp.partition for tp in assigned if tp.topic == source_topic}
        links[name] = _links(runner, partitions)
        pending[name] = runner.parking.pending if runner.parking else 0
        metrics.held(name, links[name], pending[name])
        lag = sum(n for tp, n in behind.items() if tp.topic in inputs[name])
        metrics.lag(name, lag)
    return links, pending


def _inputs(topology: Topology, flow: Flow) -> set[str]:
    names = topology.names
    return {
        names.entity(flow.source.system, flow.source.type),
        names.entity(flow.target.system, flow.target.type),
        names.from_target(flow.name),
        names.links(flow.name),
    }


async def _behind(app: faust.App, partitions: set[Any]) -> dict[Any, int]:
    """Messages behind the high watermark in each of ``partitions``."""
    behind: dict[Any, int] = {}
    consumer: Any = app.consumer
    for tp in partitions:
        try:
            high = consumer.highwater(tp)
            position = await consumer.position(tp)
        except Exception as exc:  # noqa: BLE001 - revoked meanwhile: not ours now
            log.debug("no position for %s: %r", tp, exc)
            continue
        if high is not None and position is not None:
            behind[tp] = max(0, high - position)
    return behind


def _links(runner: FlowRunner, partitions: set[int]) -> int:
    """Links in ``partitions`` of the runner's link table (see the module)."""
    store = getattr(runner.links, "_store", None)
    table = getattr(store, "_table", store)
    dbs = getattr(getattr(table, "data", None), "_dbs", None)
    if not isinstance(dbs, dict):
        return len(runner.links)  # in memory: a dict's length
    total = 0
    for partition, db in list(dbs.items()):
        if partition in partitions:
            total += _count(db)
    return total


def _count(db: Any) -> int:
    try:
        estimate = int(db.property_int_value("rocksdb.estimate-num-keys") or 0)
    except Exception:  # noqa: BLE001 - closed meanwhile
        return 0
    if estimate >= EXACT_BELOW:
        return estimate
    keys = db.keys()  # raw bytes (faust opens its databases in raw mode)
    return sum(1 for key in keys if not bytes(key).startswith(_OFFSET_KEY_PREFIX))
