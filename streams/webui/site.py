"""What the worker's web pages answer, apart from HTTP: status, a flow, readiness."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import faust

from engine.health import SystemHealth
from schemas.dataflow import Flow
from schemas.observe import DeploymentStatus
from streams.observe.status import StatusReader
from streams.settings import StreamSettings
from streams.topics import TopicNames
from streams.webui.cache import Recent
from streams.webui.readiness import Readiness, readiness
from streams.webui.tails import read_tail

log = logging.getLogger(__name__)

RECENT = 50
"""Writes and dead letters a flow's detail shows (the newest)."""
TAIL_PER_PARTITION = 200
"""Messages read from the end of each partition to find a flow's newest ones."""


class StatusSite:
    """One worker's answers to ``/ready``, ``/status`` and ``/flows/{flow}``."""

    def __init__(
        self,
        app: faust.App,
        settings: StreamSettings,
        flows: Mapping[str, Flow],
        health: SystemHealth,
    ) -> None:
        self.app = app
        self.settings = settings
        self.flows = flows
        self.health = health
        self.names = TopicNames(settings.app_id)
        self._status = Recent(self._read_status, settings.status_cache_seconds)
        self._reader: StatusReader | None = None  # kept open: reads only what is new

    @property
    def control_enabled(self) -> bool:
        """Whether the page may pause and resume (a control token is set)."""
        token = self.settings.control_token
        return token is not None and bool(token.get_secret_value())

    def systems(self) -> list[str]:
        """The systems of this worker's flows."""
        return sorted(
            {r.system for f in self.flows.values() for r in (f.source, f.target)}
        )

    def readiness(self) -> Readiness:
        """This worker's readiness now."""
        return readiness(self.app, self.health, self.systems())

    async def status(self) -> DeploymentStatus:
        """The deployment's status, read at most once per cache interval."""
        return await self._status.get()

    def forget_status(self) -> None:
        """The next ``status`` reads Kafka again (a flow was just paused)."""
        self._status.forget()

    async def _read_status(self) -> DeploymentStatus:
        if self._reader is None:
            reader = StatusReader(self.settings, self.flows.values())
            await reader.start()
            self._reader = reader
        try:
            return await self._reader.read()
        except BaseException:
            # Started afresh next time: a half-read follower is no base to go on.
            reader, self._reader = self._reader, None
            await reader.close()
            raise

    async def flow_detail(self, flow: str) -> dict[str, Any]:
        """One flow: its status, newest writes and newest dead letters."""
        status = await self.status()
        found = [f for f in status.flows if f.flow == flow]
        bootstrap = self.settings.kafka_bootstrap
        writes = await read_tail(bootstrap, self.names.writes, TAIL_PER_PARTITION)
        letters = await read_tail(bootstrap, self.names.deadletters, TAIL_PER_PARTITION)
        return {
            "flow": found[0].model_dump(mode="json") if found else None,
            "writes": _newest(writes, flow, "written_at"),
            "dead_letters": [
                {k: v for k, v in letter.items() if k != "payload"}
                for letter in _newest(letters, flow, "failed_at")
            ],
            "control_enabled": self.control_enabled,
        }


def _newest(values: list[Any], flow: str, stamp: str) -> list[dict[str, Any]]:
    """The flow's newest ``RECENT`` records among ``values``, newest first."""
    mine = [v for v in values if isinstance(v, dict) and v.get("flow") == flow]
    mine.sort(key=lambda v: str(v.get(stamp) or ""), reverse=True)
    return mine[:RECENT]
