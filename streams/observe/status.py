"""The status of every flow of a deployment, read from its Kafka topics.

Read from: the control table's changelog (paused flows), ``{app}.status``
(failing systems), ``{app}.workers`` (each worker's snapshot: activity, links,
pending references, polls), the consumer group's committed offsets (lag),
``{app}.conflicts`` and ``{app}.deadletters`` (with their re-drive markers),
and, for a flow no snapshot reports, its link table's changelog.

``StatusReader`` keeps its consumer and tallies between reads, so a worker's web
server can ask every few seconds and pay only for what is new;
``deployment_status`` is the one-shot read of the CLI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from types import TracebackType

from pydantic import ValidationError

from engine.control import FlowState, parse_state
from schemas.dataflow import Flow
from schemas.observe import DeploymentStatus
from schemas.status import SystemStatus
from schemas.utc import utc_now
from streams.control import control_topic
from streams.observe.flowview import Observed, deployment_view
from streams.observe.follow import TopicFollower
from streams.observe.fresh import chosen
from streams.observe.grouplag import flow_lag, group_lag, input_topics
from streams.observe.tally import (
    REDRIVEN_SUFFIX,
    DeadLetters,
    FlowCounts,
    Latest,
    LinkCount,
    Workers,
)
from streams.settings import StreamSettings
from streams.topics import TopicNames

STALE_AFTER = timedelta(seconds=15)
"""A worker snapshot older than this (three of the workers' ~5 s intervals) is
left out while fresher ones exist (``fresh.chosen``)."""


class StatusReader:
    """Reads a deployment's status again and again, each time only what is new.

    Use as ``async with StatusReader(settings, flows) as reader: await
    reader.read()``; one reader serves concurrent callers one at a time.
    """

    def __init__(
        self,
        settings: StreamSettings,
        flows: Iterable[Flow],
        *,
        stale_after: timedelta = STALE_AFTER,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.flows = list(flows)
        self.names = TopicNames(settings.app_id)
        self.stale_after = stale_after
        self._clock = clock
        self._follower = TopicFollower(settings.kafka_bootstrap)
        self._systems = Latest()
        self._control = Latest()
        self.workers = Workers()
        self._conflicts = FlowCounts()
        self._letters = DeadLetters()
        self._links: dict[str, LinkCount] = {}
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Connect to the broker (``ConfigurationError`` when it does not answer)."""
        await self._follower.start()
        follow = self._follower.follow
        follow(self.names.status, self._systems)
        follow(control_topic(self.settings.app_id), self._control)
        follow(self.names.workers, self.workers)
        follow(self.names.conflicts, self._conflicts)
        follow(self.names.deadletters, self._letters.letter)
        follow(self.names.deadletters + REDRIVEN_SUFFIX, self._letters.marker)

    async def close(self) -> None:
        """Disconnect."""
        await self._follower.close()

    async def __aenter__(self) -> StatusReader:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def read(self) -> DeploymentStatus:
        """The status now: what arrived since the last read, folded in."""
        async with self._lock:
            present = await self._follower.topics()
            await self._follower.catch_up(present)
            now = self._clock()
            counted = chosen(self.workers.latest.values(), now, self.stale_after)
            if self._follow_links(present, {f for s in counted for f in s.flows}):
                await self._follower.catch_up(present)
            observed = Observed(
                app_id=self.settings.app_id,
                at=now,
                systems=self._system_statuses(),
                control=self._flow_states(),
                counted=counted,
                latest=dict(self.workers.latest),
                before=dict(self.workers.before),
                lag=await self._lag(present),
                conflicts=dict(self._conflicts.counts),
                dead_letters=self._letters.outstanding(),
                table_links={flow: len(count) for flow, count in self._links.items()},
            )
            return deployment_view(observed, self.flows)

    def _follow_links(self, present: set[str], reported: set[str]) -> bool:
        """Follow the link table changelog of each flow no snapshot reports;
        whether any is new."""
        added = False
        for flow in self.flows:
            topic = self.names.links_changelog(flow.name)
            if (
                flow.name in reported
                or flow.name in self._links
                or topic not in present
            ):
                continue
            self._links[flow.name] = LinkCount()
            self._follower.follow(topic, self._links[flow.name])
            added = True
        return added

    def _system_statuses(self) -> dict[str, SystemStatus]:
        statuses: dict[str, SystemStatus] = {}
        for raw in self._systems.values.values():
            try:
                status = SystemStatus.model_validate(raw)
            except ValidationError:
                continue  # anyone may write to a topic; the workers' own are read
            statuses[status.system] = status
        return statuses

    def _flow_states(self) -> dict[str, FlowState]:
        found = (parse_state(raw) for raw in self._control.values.values())
        return {state.flow: state for state in found if state is not None}

    async def _lag(self, present: set[str]) -> dict[str, int]:
        inputs = {flow.name: input_topics(self.names, flow) for flow in self.flows}
        topics = {t for names in inputs.values() for t in names if t in present}
        partitions = await self._follower.partitions(topics)
        lag = await group_lag(
            self._follower.admin,
            self._follower.consumer,
            self.settings.app_id,  # faust's consumer group is the app id
            partitions,
        )
        return {flow: flow_lag(lag, topics) for flow, topics in inputs.items()}


async def deployment_status(
    settings: StreamSettings, flows: Iterable[Flow]
) -> DeploymentStatus:
    """The status of ``flows`` in the deployment of ``settings``, read once."""
    async with StatusReader(settings, flows) as reader:
        return await reader.read()
