"""Wires flows to faust: topics, tables, flow and router agents, source pollers.

Per flow: an agent keyed by source id and a router keyed by target id hand each
message to the flow's ``engine.runner.FlowRunner`` (``streams.agents``); per
source system, a
leader-only timer runs its ``engine.polling.SourcePoller``. Everything that
decides what happens to a change lives in ``engine``; this module only knows
which topic and table each piece reads and writes.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, cast

import faust

from connectors.base.ratelimit import polling
from connectors.base.settings import load_settings
from engine.breakers import BreakerSettings
from engine.control import ControlTable, ResyncRequests, UnlinkCommand
from engine.delivery import RecordSettings, letter_key
from engine.guards import guard_flow
from engine.handlers import FlowPorts
from engine.health import HealthSettings, SystemHealth, poll_guarded, read_first_page
from engine.matchindex import match_index
from engine.notices import NoticeSettings
from engine.pacing import PollPacer, PollPacing, budget_of, even_pace_of
from engine.parking import ParkingLot, ParkingSettings
from engine.poison import PoisonGuard
from engine.polling import (
    Catalogs,
    CursorTable,
    PollOutputs,
    SourcePoller,
    polled_entities,
)
from engine.recording import recording_flow
from engine.runner import FlowOutputs, FlowRunner
from engine.runtime import Connectors
from engine.stores import IdMap, LinkTable, RouteTable
from schemas.dataflow import Flow
from schemas.envelope import (
    ChangeEvent,
    ConflictRecord,
    DeadLetter,
    FlowReport,
    Redriven,
)
from schemas.links import LinkNotice
from schemas.status import SystemStatus
from streams.acks import EventPublisher, Limits, deliver, notice_sender
from streams.agents import flow_agents, forget_revoked, unparking
from streams.codecs import ModelSchema
from streams.control import CONTROL_TABLE, RESYNC_TABLE, commands_topic
from streams.membership import watch_membership
from streams.provision import TopicSpec
from streams.reads import DirectReads
from streams.settings import StreamSettings
from streams.snapshots import wire_observing
from streams.tables import partitioned_table, shared_table
from streams.topics import TopicNames

log = logging.getLogger(__name__)

TOLD_MAX = 10_000
"""Reports remembered per flow to log a repeated one once."""


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
        self.redriven = self._topic(self.names.redriven, Redriven, compacted=True)
        self.conflicts = self._topic(self.names.conflicts, ConflictRecord)
        self.reports = self._topic(self.names.reports, FlowReport)
        status = self._topic(self.names.status, SystemStatus, compacted=True)
        self.health = _system_health(connectors, status)
        self.records = load_settings(RecordSettings)
        self.notices = load_settings(NoticeSettings)
        self.parking = load_settings(ParkingSettings)
        self._poison_guards: list[PoisonGuard] = []
        forget_revoked(app, self._poison_guards)

        self.catalogs = Catalogs(connectors.source, settings.poll_interval)
        self.matches = match_index(connectors.source)  # matching without searches
        self.idmap = IdMap(self._shared("idmap", on_disk=True))  # 2 rows per link
        self.limits = Limits(settings.max_message_bytes, settings.ack_timeout_seconds)
        # A large listing cursor is chunked well below the changelog's message limit.
        self.cursors = CursorTable(
            self._shared("cursors"), max_value_bytes=settings.max_message_bytes // 4
        )
        # faust elects the leader (who polls the sources) through this topic; made
        # late, the consumer misses it until its next metadata refresh, minutes
        # during which no worker is leader and nothing is polled.
        leader = f"{settings.app_id}-__assignor-__leader"
        self.topic_specs.append(TopicSpec(leader, 1))
        self.breakers = load_settings(BreakerSettings)
        self.control = ControlTable(self._shared(CONTROL_TABLE))  # paused flows
        self.resyncs = ResyncRequests(self._shared(RESYNC_TABLE))  # tether resync
        watch_membership(app, settings)  # rate limits shared by the group
        self.writelog = wire_observing(self)  # {app}.writes, {app}.workers
        self.runners = {flow.name: self._register_flow(flow) for flow in flows.values()}
        declared = {s: connectors.source(s).entities() for s in self._systems()}
        for system, entities in polled_entities(
            list(flows.values()), declared.__getitem__
        ).items():
            self._register_poller(system, entities)

    def _systems(self) -> set[str]:
        return {ref.system for f in self.flows.values() for ref in (f.source, f.target)}

    # -- topics and tables -----------------------------------------------------

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
        self._changelog(name, self.settings.partitions)
        return partitioned_table(
            self.app, name, self.settings.partitions, self.settings
        )

    def _shared(self, name: str, *, on_disk: bool = False) -> Any:
        self._changelog(name, partitions=1)
        return shared_table(self.app, name, self.settings, on_disk=on_disk)

    def _channel(self, *names: str) -> Any:
        return self.app.topic(
            *names, schema=self.schema, partitions=self.settings.partitions
        )

    # -- flows -----------------------------------------------------------------

    def _register_flow(self, flow: Flow) -> FlowRunner:
        source_topic = self.entity_topic(flow.source.system, flow.source.type)
        target_topic = self.entity_topic(flow.target.system, flow.target.type)
        from_target = self._topic(self.names.from_target(flow.name), ChangeEvent)
        commands = self._topic(
            commands_topic(self.settings.app_id, flow.name), UnlinkCommand
        )
        links_topic = self._topic(
            self.names.links(flow.name), LinkNotice, compacted=True
        )
        links = DirectReads(self._table(f"{flow.name}-links"))
        routes = self._table(f"{flow.name}-reverse")
        poison = PoisonGuard(
            self._table(f"{flow.name}-inhand"),
            self.app.producer.flush,
            max_strikes=self.records.max_stops,
        )
        self._poison_guards.append(poison)
        parked = self._table(f"{flow.name}-parked")
        parking = ParkingLot(parked, flow, self.idmap.resolve, self.parking)
        limit = self.settings.concurrency_of(flow.name)

        async def forward(source_id: str, event: ChangeEvent) -> None:
            # Acknowledged before the router's own offset may commit.
            await (await from_target.send(key=source_id, value=event))

        ports, _ = guard_flow(
            flow.name,
            recording_flow(flow.name, self._ports(flow)),
            self.breakers,
            self.control,
            lambda: len(links),
            releasing=lambda: bool(self.app.rebalancing or self.app.should_stop),
        )
        runner = FlowRunner(
            flow=flow,
            ports=ports,
            links=LinkTable(links),
            routes=RouteTable(routes),
            idmap=self.idmap,
            outputs=FlowOutputs(
                notice_sender(links_topic, flow, self.app.producer.flush),
                self._dead_letter,
                forward,
                self._healed,
            ),
            reference_wait_seconds=self.settings.reference_wait_seconds,
            records=self.records,
            check=self._check,
            health=self.health,
            notices=self.notices,
            parking=parking,
            writelog=self.writelog,
        )
        unparking(self.app, flow.name, parking, forward)
        inbound = self._channel(
            source_topic.get_topic_name(),
            from_target.get_topic_name(),
            commands.get_topic_name(),  # operators' unlinks, in order per source id
        )
        routed = self._channel(
            target_topic.get_topic_name(), links_topic.get_topic_name()
        )

        flow_agents(
            self.app,
            flow,
            runner,
            (inbound, routed),
            limit=limit,
            poison=poison,
            opened=self.connectors.open,
            requeue=forward,
        )
        return runner

    def _check(self, event: ChangeEvent) -> None:
        """A consumed change, checked by its own system's source."""
        self.connectors.source(event.system).check(event)

    def _ports(self, flow: Flow) -> FlowPorts:
        return FlowPorts(
            source_sink=self.connectors.sink(flow.source.system),
            target_sink=self.connectors.sink(flow.target.system),
            resolve=self.idmap.resolve,
            resolve_reverse=self.idmap.resolve_reverse,
            conflict=_sender(self.conflicts, self.limits, "conflict", flow),
            report=_sender(self.reports, self.limits, "report", flow),
            tie_window=timedelta(seconds=self.settings.tie_window_seconds),
            catalog=self.catalogs,
            matches=self.matches,
        )

    async def _dead_letter(self, letter: DeadLetter) -> None:
        log_dead_letter(letter)
        # Acknowledged before returning: the offset of the event that produced
        # it commits only afterwards, so a letter is never lost with its event.
        key = letter_key(letter)
        await deliver(self.deadletters, key, letter, self.limits, name="dead letter")

    async def _healed(self, key: str, marker: Redriven) -> None:
        await deliver(self.redriven, key, marker, self.limits, name="healed letter")

    # -- sources ---------------------------------------------------------------

    def _register_poller(self, system: str, entities: list[str]) -> None:
        topics = {entity: self.entity_topic(system, entity) for entity in entities}
        # The cursor moves once the broker acknowledged the page, not when the
        # producer was flushed (a flush does not raise for a failed send).
        publisher = EventPublisher(topics, self.limits, self._dead_letter)
        source = self.connectors.source(system)
        pacing = load_settings(PollPacing)
        poller = SourcePoller(
            source,
            entities,
            PollOutputs(publisher.publish, self._dead_letter, publisher.flush),
            self.cursors,
            resync_interval=self.settings.resync_interval,
            pacer=PollPacer(
                self.settings.poll_interval,
                budget_of(source),
                pacing,
                even=even_pace_of(source),
            ),
            requests=self.resyncs,
        )

        async def poll() -> None:
            recovery = cast(Any, self.app.tables).recovery
            if not recovery.completed.is_set() or self.app.rebalancing:
                return  # cursors are not recovered yet
            await self.connectors.open()
            with polling():  # the share of each rate limit that polls may use
                await poll_guarded(poller, self.health)

        self.app.timer(
            self.settings.poll_interval, on_leader=True, name=f"poll-{system}"
        )(poll)


def _system_health(connectors: Connectors, status_topic: Any) -> SystemHealth:
    """Probes read a system's first page; changes go to ``{app}.status``, acked."""

    async def publish(record: SystemStatus) -> None:
        await (await status_topic.send(key=record.system, value=record))

    return SystemHealth(
        lambda system: read_first_page(connectors.source(system)),
        publish,
        load_settings(HealthSettings),
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )


def log_dead_letter(letter: DeadLetter) -> None:
    """One ERROR line naming the record, once (most reasons name it already)."""
    named = f"{letter.system} {letter.entity} {letter.record_id}"
    said = (
        letter.reason
        if letter.reason.startswith(named)
        else f"{named}: {letter.reason}"
    )
    log.error("dead letter: %s", said, extra=letter_fields(letter))


def letter_fields(letter: DeadLetter) -> dict[str, str | None]:
    """The ``extra`` of a dead letter's log line: the record it is about."""
    return {
        "flow": letter.flow,
        "system": letter.system,
        "type": letter.entity,
        "id": letter.record_id,
    }


def _sender(
    topic: Any, limits: Limits, name: str, flow: Flow
) -> Callable[[ConflictRecord | FlowReport], Awaitable[None]]:
    """Logs a conflict or report, then sends it keyed by flow and source id, acked.

    A report repeated unchanged for the same record (an unmatched record is
    reported on each of its changes) is logged once, then at debug level.
    """
    told: dict[str, str] = {}

    async def send(record: ConflictRecord | FlowReport) -> None:
        fields = {
            "flow": record.flow,
            "system": flow.source.system,
            "type": flow.source.type,
            "id": record.source_id,
        }
        if isinstance(record, ConflictRecord):
            log.warning(
                "%s conflict on %s of %s: %s won (%s)",
                record.flow,
                record.property,
                record.source_id,
                record.winner.value,
                record.rule,
                extra=fields,
            )
        else:
            said = f"{record.kind}: {record.detail}"
            again = told.get(record.source_id) == said
            if len(told) >= TOLD_MAX:
                told.clear()  # bounded: at worst a repeat is logged again
            told[record.source_id] = said
            log.log(
                logging.DEBUG if again else logging.WARNING,
                "%s %s %s: %s",
                record.flow,
                record.kind,
                record.source_id,
                record.detail,
                extra=fields,
            )
        key = f"{record.flow}/{record.source_id}"
        await deliver(topic, key, record, limits, name=name)

    return send
