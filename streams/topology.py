"""Wires flows to faust: topics, link tables, flow and router agents, source pollers.

Per flow: an agent keyed by source id owns the link table and calls
``handlers.handle_event``; a router keyed by target id turns target-side changes
into source-keyed ones using link notices. Per source system: a leader-only timer
polls changes. Agents stay thin; the logic is in ``handlers`` and ``ingest``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, cast

import faust
import mode
from faust.tables.globaltable import GlobalTable

from connectors.base.protocols import BadRecord
from connectors.base.settings import load_settings
from connectors.errors import RecordError, TransientError, UnresolvedReferenceError
from engine.badinput import LetterMemo, letter_key, safe
from engine.delivery import ReferenceWaits, dead_letter, with_retries
from engine.guards import MassDeleteSettings, guard_unlinks
from engine.handlers import FlowPorts, Outcome, handle_event
from engine.ingest import PollPorts, poll_entity
from engine.redelivery import lost_notice
from engine.runtime import Connectors
from schemas.dataflow import Flow, TargetMode
from schemas.envelope import (
    ChangeEvent,
    ConflictRecord,
    Cursor,
    DeadLetter,
    FlowReport,
)
from schemas.links import Link, LinkNotice, LinkOp
from streams.codecs import ModelSchema, Undecodable
from streams.provision import TopicSpec
from streams.settings import StreamSettings
from streams.topics import TopicNames

log = logging.getLogger(__name__)

# Table keys are ids as text; values JSON (links, cursors, id pairs).
_TABLE_SCHEMA: faust.Schema[str, Any] = faust.Schema(
    key_type=str, value_type=None, key_serializer="raw", value_serializer="json"
)
# faust's RocksDB defaults (2 GiB block cache, 3x64 MiB write buffers) are per
# table partition; link tables are small, so a worker with many flows stays lean.
_ROCKSDB_OPTIONS = {"block_cache_size": 8 * 2**20, "write_buffer_size": 4 * 2**20}


class Topology:
    """Declares everything the active flows need on one faust app."""

    def __init__(
        self,
        app: faust.App,
        settings: StreamSettings,
        flows: dict[str, Flow],
        connectors: Connectors,
    ) -> None:
        self.app = app
        self.settings = settings
        self.flows = flows
        self.connectors = connectors
        self.names = TopicNames(settings.app_id)
        self.schema = ModelSchema({})
        self._topics: dict[str, Any] = {}
        self.topic_specs: list[TopicSpec] = []
        self.deadletters = self._topic(self.names.deadletters, DeadLetter)
        self.conflicts = self._topic(self.names.conflicts, ConflictRecord)
        self.reports = self._topic(self.names.reports, FlowReport)
        self._catalogs: dict[tuple[str, str], tuple[float, list[ChangeEvent]]] = {}
        self._last_resync: dict[tuple[str, str], float] = {}
        self._rejected = LetterMemo()
        self._reference_waits = ReferenceWaits()
        self.idmap = _shared_table(app, "idmap")
        self.cursors = _shared_table(app, "cursors")
        for shared in ("idmap", "cursors"):
            self._changelog(shared, partitions=1)
        # faust elects the leader (who polls the sources) through this topic; made
        # late, the consumer misses it until its next metadata refresh, minutes
        # during which no worker is leader and nothing is polled.
        leader = f"{settings.app_id}-__assignor-__leader"
        self.topic_specs.append(TopicSpec(leader, 1))
        self.mass_delete = load_settings(MassDeleteSettings)
        for flow in flows.values():
            self._register_flow(flow)
        for system, entities in self._polled_entities().items():
            self._register_poller(system, entities)

    # -- topics ----------------------------------------------------------------

    def _topic(self, name: str, model: type[Any], *, compacted: bool = False) -> Any:
        if name not in self._topics:
            self.topic_specs.append(
                TopicSpec(name, self.settings.partitions, compacted)
            )
            self.schema.models[name] = model
            self._topics[name] = self.app.topic(
                name,
                schema=self.schema,
                partitions=self.settings.partitions,
                compacting=compacted or None,
                internal=True,
            )
        return self._topics[name]

    def entity_topic(self, system: str, entity: str) -> Any:
        """The compacted change topic of one system's entity type."""
        return self._topic(
            self.names.entity(system, entity), ChangeEvent, compacted=True
        )

    def _changelog(self, table: str, partitions: int) -> None:
        # Created up front like every other topic: faust creates changelogs when
        # its tables start, and a table written before the consumer's metadata
        # knows its changelog fails with PartitionsMismatch ("0 partitions").
        name = f"{self.settings.app_id}-{table}-changelog"
        self.topic_specs.append(TopicSpec(name, partitions, compacted=True))

    def _table(self, name: str) -> Any:
        """A RocksDB table co-partitioned with the flow topics, its changelog made."""
        self._changelog(name, self.settings.partitions)
        return self.app.Table(
            name,
            partitions=self.settings.partitions,
            schema=_TABLE_SCHEMA,
            options=_ROCKSDB_OPTIONS,
        )

    def _channel(self, *names: str) -> Any:
        return self.app.topic(
            *names, schema=self.schema, partitions=self.settings.partitions
        )

    # -- flows -----------------------------------------------------------------

    def _register_flow(self, flow: Flow) -> None:
        source_topic = self.entity_topic(flow.source.system, flow.source.type)
        target_topic = self.entity_topic(flow.target.system, flow.target.type)
        from_target = self._topic(self.names.from_target(flow.name), ChangeEvent)
        links_topic = self._topic(
            self.names.links(flow.name), LinkNotice, compacted=True
        )
        links = self._table(f"{flow.name}-links")
        reverse = self._table(f"{flow.name}-reverse")
        ports = guard_unlinks(
            flow.name, self._ports(flow), self.mass_delete, lambda: len(links)
        )
        inbound = self._channel(
            source_topic.get_topic_name(), from_target.get_topic_name()
        )
        routed = self._channel(
            target_topic.get_topic_name(), links_topic.get_topic_name()
        )

        async def run_flow(stream: faust.StreamT[Any]) -> None:
            await self.connectors.open()
            async for event in stream.events():
                await self._on_flow_event(flow, event, links, links_topic, ports)

        async def route(stream: faust.StreamT[Any]) -> None:
            async for event in stream.events():
                await self._on_routed_event(flow, event, reverse, from_target)

        # An exception that escapes an agent must stop the worker: faust's default
        # supervisor restarts the agent and acks the event it was processing,
        # which would lose it; after a crash the unacked event is redelivered.
        crash = mode.CrashingSupervisor
        self.app.agent(
            inbound, name=f"flow-{flow.name}", concurrency=1, supervisor_strategy=crash
        )(run_flow)
        if flow.target_mode is not TargetMode.VALUE_KEYED:  # shared targets: no routing
            self.app.agent(
                routed,
                name=f"route-{flow.name}",
                concurrency=1,
                supervisor_strategy=crash,
            )(route)

    def _ports(self, flow: Flow) -> FlowPorts:
        async def conflict(record: ConflictRecord) -> None:
            log.warning(
                "%s conflict on %s of %s: %s won (%s)",
                record.flow,
                record.property,
                record.source_id,
                record.winner.value,
                record.rule,
            )
            await self.conflicts.send(
                key=f"{record.flow}/{record.source_id}", value=record
            )

        async def report(record: FlowReport) -> None:
            log.warning(
                "%s %s %s: %s",
                record.flow,
                record.kind,
                record.source_id,
                record.detail,
            )
            await self.reports.send(
                key=f"{record.flow}/{record.source_id}", value=record
            )

        return FlowPorts(
            source_sink=self.connectors.sink(flow.source.system),
            target_sink=self.connectors.sink(flow.target.system),
            resolve=lambda name, sid: self.idmap.get(f"{name}/s/{sid}"),
            resolve_reverse=lambda name, tid: self.idmap.get(f"{name}/t/{tid}"),
            conflict=conflict,
            report=report,
            tie_window=timedelta(seconds=self.settings.tie_window_seconds),
            catalog=self._catalog,
        )

    async def _catalog(self, system: str, entity: str) -> list[ChangeEvent]:
        """Every entity of a type value-keyed flows match against, read at most
        once per poll interval (country lists are short and rarely change)."""
        cached = self._catalogs.get((system, entity))
        now = time.monotonic()
        if cached and now - cached[0] < self.settings.poll_interval:
            return cached[1]
        events = [
            event
            async for page in self.connectors.source(system).read(entity, None)
            for event in page.events
        ]
        self._catalogs[(system, entity)] = (now, events)
        return events

    async def _on_flow_event(
        self, flow: Flow, event: Any, links: Any, links_topic: Any, ports: FlowPorts
    ) -> None:
        value, key = event.value, event.key
        where = (event.message.topic, event.message.partition, event.message.offset)
        if isinstance(value, Undecodable):
            await self._dead_letter(
                dead_letter(
                    value.reason,
                    stage="decode",
                    flow=flow.name,
                    where=where,
                    record_id=key or "",
                    payload=_text(value.raw),
                )
            )
            return
        raw_link = links.get(key)
        link = Link.model_validate(raw_link) if raw_link else None
        waits = self._reference_waits
        try:
            outcome: Outcome = await with_retries(
                lambda: handle_event(flow, value, link, ports),
                what=f"{flow.name} {value.system} {value.entity} {value.id}",
                reference_wait=waits.wait_for(
                    flow.name, value, self.settings.reference_wait_seconds
                ),
            )
        except RecordError as exc:
            if isinstance(exc, UnresolvedReferenceError):
                waits.waited_in_vain(flow.name, value)
            await self._dead_letter(
                dead_letter(exc, stage="flow", event=value, flow=flow.name, where=where)
            )
            return
        waits.resolved(flow.name, value)
        if outcome.link is not None:
            links[key] = outcome.link.model_dump(mode="json")
        elif raw_link is not None:
            del links[key]
        # A redelivered event may find a link whose notice a crash lost.
        again = lost_notice(flow, outcome.link, ports.resolve)
        for notice in outcome.notices or ((again,) if again else ()):
            if flow.target_mode is TargetMode.VALUE_KEYED:
                # Many sources share one target: key by the pair so compaction
                # keeps them all; no router reads these, no id map needs them.
                key = f"{notice.target_id}/{notice.source_id}"
                await links_topic.send(key=key, value=notice)
                continue
            # Remember the pair only once the broker has the notice, so a
            # remembered pair proves its notice went out (engine.redelivery).
            await (await links_topic.send(key=notice.target_id, value=notice))
            self._remember(notice)

    def _remember(self, notice: LinkNotice) -> None:
        forward = f"{notice.flow}/s/{notice.source_id}"
        backward = f"{notice.flow}/t/{notice.target_id}"
        if notice.op is LinkOp.LINK:
            self.idmap[forward] = notice.target_id
            self.idmap[backward] = notice.source_id
        else:
            for key in (forward, backward):
                if key in self.idmap:
                    del self.idmap[key]

    async def _on_routed_event(
        self, flow: Flow, event: Any, reverse: Any, from_target: Any
    ) -> None:
        value = event.value
        if isinstance(value, LinkNotice):
            entry = reverse.get(value.target_id) or {}
            if value.op is LinkOp.UNLINK:
                if value.target_id in reverse:
                    del reverse[value.target_id]
                return
            reverse[value.target_id] = {"source_id": value.source_id}
            parked = entry.get("parked")
            if parked:
                await from_target.send(
                    key=value.source_id, value=ChangeEvent.model_validate(parked)
                )
        elif isinstance(value, ChangeEvent):
            entry = reverse.get(value.id) or {}
            if entry.get("source_id"):
                await from_target.send(key=entry["source_id"], value=value)
            else:
                # Not linked (yet): keep the latest state so a link made later
                # still sees an edit that raced it.
                reverse[value.id] = {
                    "source_id": None,
                    "parked": value.model_dump(mode="json"),
                }
        elif isinstance(value, Undecodable):
            where = (event.message.topic, event.message.partition, event.message.offset)
            await self._dead_letter(
                dead_letter(
                    value.reason,
                    stage="decode",
                    flow=flow.name,
                    where=where,
                    record_id=event.key or "",
                    payload=_text(value.raw),
                )
            )

    async def _dead_letter(self, letter: DeadLetter) -> None:
        log.error(
            "dead letter: %s %s %s: %s",
            letter.system,
            letter.entity,
            letter.record_id,
            letter.reason,
        )
        key = f"{letter.system}/{letter.entity}/{letter.record_id}"
        await self.deadletters.send(key=key, value=letter)

    # -- sources ---------------------------------------------------------------

    def _polled_entities(self) -> dict[str, list[str]]:
        wanted: dict[str, set[str]] = {}
        for flow in self.flows.values():
            refs = [flow.source]
            if flow.target_mode is not TargetMode.VALUE_KEYED:  # targets never change
                refs.append(flow.target)
            for ref in refs:
                wanted.setdefault(ref.system, set()).add(ref.type)
        ordered: dict[str, list[str]] = {}
        for system, entities in wanted.items():
            declared = self.connectors.source(system).entities()
            ordered[system] = [e for e in declared if e in entities]
        return ordered

    def _register_poller(self, system: str, entities: Iterable[str]) -> None:
        source = self.connectors.source(system)
        topics = {entity: self.entity_topic(system, entity) for entity in entities}
        ports = PollPorts(
            publish=lambda e: self._publish(topics[e.entity], e),
            reject=self._reject,
            flush=lambda: self.app.producer.flush(),
            load_cursor=self._load_cursor,
            save_cursor=self._save_cursor,
        )

        async def poll() -> None:
            recovery = cast(Any, self.app.tables).recovery
            if not recovery.completed.is_set() or self.app.rebalancing:
                return  # cursors are not recovered yet
            await self.connectors.open()
            for entity in topics:
                full = self._resync_due(system, entity)
                try:
                    stats = await poll_entity(source, entity, ports, full=full)
                except TransientError as exc:
                    # The cursor did not move: the next tick reads the same changes.
                    log.warning(
                        "poll %s %s: %s; retrying next tick", system, entity, exc
                    )
                    return
                if not stats.malformed:
                    self._rejected.forget_pages(letter_key(system, entity, ""))

        self.app.timer(
            self.settings.poll_interval, on_leader=True, name=f"poll-{system}"
        )(poll)

    def _resync_due(self, system: str, entity: str) -> bool:
        """Whether this poll re-reads everything (never the first: the cursor may
        be new, and a fresh start reads everything anyway)."""
        interval = self.settings.resync_interval
        now = time.monotonic()
        last = self._last_resync.setdefault((system, entity), now)
        if interval and now - last >= interval:
            self._last_resync[(system, entity)] = now
            return True
        return False

    async def _publish(self, topic: Any, event: ChangeEvent) -> None:
        self._rejected.forget(letter_key(event.system, event.entity, event.id))
        await topic.send(key=event.id, value=event)

    async def _reject(self, bad: BadRecord) -> None:
        bad = safe(bad)  # invalid UTF-8 or a 1 MB value must not stop the producer
        key = letter_key(bad.system, bad.entity, bad.record_id)
        if not self._rejected.first_time(key, bad):
            # A page read again, or a record the feed keeps listing: known.
            log.debug("dead letter %s already sent", key)
            return
        await self._dead_letter(
            dead_letter(
                bad.reason,
                stage="source",
                system=bad.system,
                entity=bad.entity,
                record_id=bad.record_id,
                payload=bad.payload,
            )
        )

    def _load_cursor(self, system: str, entity: str) -> Cursor | None:
        raw = self.cursors.get(f"{system}/{entity}")
        return Cursor.model_validate(raw) if raw else None

    async def _save_cursor(self, system: str, entity: str, cursor: Cursor) -> None:
        self.cursors[f"{system}/{entity}"] = cursor.model_dump(mode="json")


class _SharedTable(GlobalTable):
    """A one-partition global table that may be written outside a stream.

    Every worker holds all of it, so any flow can resolve references and any
    leader can resume polling. It lives in memory, rebuilt from its compacted
    changelog at start: faust's RocksDB store only accepts writes made while
    processing an event (its partition picks the database), and the poller
    writes cursors from a timer. With one partition the changelog partition is
    always 0, which spares a metadata look-up before the first write.
    """

    def partition_for_key(self, key: Any) -> int | None:
        return 0

    def _new_store(self) -> Any:
        # faust tests ``self._store or app.conf.store``, and ``URL("memory://")``
        # is falsy, so a per-table memory store must be asked for explicitly.
        return self._new_store_by_url("memory://")


def _shared_table(app: faust.App, name: str) -> Any:
    table = _SharedTable(
        app,
        name=name,
        partitions=1,
        recovery_buffer_size=1,  # faust's advice for global tables (see its docs)
        schema=_TABLE_SCHEMA,
        is_global=True,
        beacon=app.tables.beacon,
    )
    return app.tables.add(table)


def _text(raw: bytes | None) -> str | None:
    return raw.decode("utf-8", "replace")[:10_000] if raw is not None else None
