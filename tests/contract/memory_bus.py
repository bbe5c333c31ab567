"""The engine on an in-memory bus: topics are lists, tables are dicts, no broker.

Wired like ``streams.topology`` (same topics, same keys, same runners and
pollers), but run in one task to quiescence, so a test sees the engine's
decisions against the real stand-ins without Kafka or faust in between.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from connectors import Connector
from engine.handlers import FlowPorts
from engine.inbound import Where
from engine.matchindex import MatchIndex, MatchIndexSettings
from engine.polling import (
    Catalogs,
    CursorTable,
    PollOutputs,
    SourcePoller,
    polled_entities,
)
from engine.runner import FlowOutputs, FlowRunner
from engine.stores import IdMap, LinkTable, RouteTable
from schemas.dataflow import Flow, TargetMode
from schemas.envelope import ChangeEvent, ConflictRecord, DeadLetter, FlowReport
from schemas.links import LinkNotice
from streams.topics import TopicNames

Handler = Callable[[str, Any, Where], Awaitable[None]]


class MemoryBus:
    """Flows and pollers over in-memory topics, for a handful of systems."""

    def __init__(self, flows: list[Flow], connectors: dict[str, Connector]) -> None:
        self.names = TopicNames("mem")
        self.connectors = connectors
        self.log: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        self._queue: deque[tuple[str, str, Any]] = deque()
        self._subscribers: dict[str, list[Handler]] = defaultdict(list)
        self.dead_letters: list[DeadLetter] = []
        self.conflicts: list[ConflictRecord] = []
        self.reports: list[FlowReport] = []
        self.idmap_store: dict[str, Any] = {}
        self.idmap = IdMap(self.idmap_store)
        self.link_stores: dict[str, dict[str, Any]] = {}
        self.catalogs = Catalogs(lambda s: connectors[s].source, max_age=0.0)
        # Matching from the target's changes, read again before every lookup.
        self.matches = MatchIndex(
            lambda s: connectors[s].source, MatchIndexSettings(max_age_seconds=0.0)
        )
        self.runners = {flow.name: self._wire(flow) for flow in flows}
        self.cursor_store: dict[str, Any] = {}
        cursors = CursorTable(self.cursor_store)
        self.pollers = [
            SourcePoller(
                connectors[system].source,
                entities,
                PollOutputs(self._publish, self._dead_letter, self._flush),
                cursors,
            )
            for system, entities in polled_entities(
                flows, lambda s: connectors[s].source.entities()
            ).items()
        ]

    def links(self, flow: str) -> LinkTable:
        """The link table of ``flow``."""
        return LinkTable(self.link_stores[flow])

    async def settle(self, rounds: int = 20) -> int:
        """Poll and process until a round publishes nothing new; the rounds run."""
        for n in range(1, rounds + 1):
            before = self._signature()
            for poller in self.pollers:
                await poller.poll()
            await self.drain()
            if self._signature() == before:
                return n
        msg = f"the bus did not settle in {rounds} rounds"
        raise AssertionError(msg)

    async def drain(self) -> None:
        """Deliver every queued message to its subscribers, in order."""
        offsets: dict[str, int] = defaultdict(int)
        while self._queue:
            topic, key, value = self._queue.popleft()
            where = (topic, 0, offsets[topic])
            offsets[topic] += 1
            for handler in self._subscribers[topic]:
                await handler(key, value, where)

    def _signature(self) -> tuple[Any, ...]:
        # What a round may change: link tables, the id map and letters. A poll
        # that re-reads unchanged records changes none of them.
        return (
            repr(sorted((f, sorted(s.items())) for f, s in self.link_stores.items())),
            repr(sorted(self.idmap_store.items())),
            len(self.dead_letters),
            len(self.reports),
        )

    async def send(self, topic: str, key: str, value: Any) -> None:
        """Append to ``topic`` and queue it for its subscribers."""
        self.log[topic].append((key, value))
        self._queue.append((topic, key, value))

    async def _publish(self, event: ChangeEvent) -> None:
        await self.send(self.names.entity(event.system, event.entity), event.id, event)

    async def _dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(letter)

    async def _flush(self) -> None:
        return None

    def _wire(self, flow: Flow) -> FlowRunner:
        links: dict[str, Any] = {}
        self.link_stores[flow.name] = links
        links_topic = self.names.links(flow.name)
        from_target = self.names.from_target(flow.name)

        async def announce(key: str, notice: LinkNotice) -> None:
            await self.send(links_topic, key, notice)

        async def forward(source_id: str, event: ChangeEvent) -> None:
            await self.send(from_target, source_id, event)

        async def conflict(record: ConflictRecord) -> None:
            self.conflicts.append(record)

        async def report(record: FlowReport) -> None:
            self.reports.append(record)

        runner = FlowRunner(
            flow=flow,
            ports=FlowPorts(
                source_sink=self.connectors[flow.source.system].sink,
                target_sink=self.connectors[flow.target.system].sink,
                resolve=self.idmap.resolve,
                resolve_reverse=self.idmap.resolve_reverse,
                conflict=conflict,
                report=report,
                tie_window=timedelta(seconds=1),
                catalog=self.catalogs,
                matches=self.matches,
            ),
            links=LinkTable(links),
            routes=RouteTable({}),
            idmap=self.idmap,
            outputs=FlowOutputs(announce, self._dead_letter, forward),
            reference_wait_seconds=0.5,
        )
        source = self.names.entity(flow.source.system, flow.source.type)
        target = self.names.entity(flow.target.system, flow.target.type)
        for topic in (source, from_target):
            self._subscribers[topic].append(runner.on_change)
        if flow.target_mode is not TargetMode.VALUE_KEYED:
            for topic in (target, links_topic):
                self._subscribers[topic].append(runner.on_route)
        return runner
