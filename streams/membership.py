"""One rate limit per deployment: each worker learns how many share it (rule 19).

A system's limit is per credential, and every worker of the consumer group uses
the same one. Each worker asks the broker how many members its group has (an
admin describe of the group) after every rebalance, before its agents resume,
and every ``TETHER_RATE_LIMIT_REFRESH_SECONDS``; its limiters then allow
``limit / members`` each (``connectors.base.ratelimit.DEPLOYMENT``). A worker
killed without leaving stays a member until its session times out: the others
keep their smaller share meanwhile, which errs on the safe side.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import faust
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.ratelimit import DEPLOYMENT, Deployment
from connectors.base.settings import load_settings
from streams.kafka_security import kafka_options
from streams.settings import StreamSettings

log = logging.getLogger(__name__)

# A describe during a rebalance may see the group before every member rejoined.
SETTLED = frozenset({"Stable", "Empty"})
REBALANCE_SECONDS = 10.0


class SharingSettings(BaseSettings):
    """How workers share rate limits (env ``TETHER_RATE_LIMIT_*``)."""

    model_config = SettingsConfigDict(env_prefix="TETHER_RATE_LIMIT_", frozen=True)

    shared: bool = Field(
        True, description="split each system's limit between the group's workers"
    )
    poll_share: float = Field(
        0.5, gt=0, le=1, description="share of a worker's part that polls may use"
    )
    refresh_seconds: float = Field(15.0, gt=0, description="how often to look again")


def group_members(described: list[Any], group: str) -> int | None:
    """Members of ``group`` in DescribeGroups answers; ``None`` when unsettled."""
    for response in described:
        for entry in response.to_object()["groups"]:
            if entry["group"] != group or entry["error_code"]:
                continue
            if entry["state"] not in SETTLED:
                return None
            return len(entry["members"])
    return None


async def describe_group(bootstrap: str, group: str) -> int | None:
    """How many members ``group`` has now (``None``: unknown for the moment)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, **kafka_options(), request_timeout_ms=5000
    )
    try:
        await admin.start()
        return group_members(await admin.describe_consumer_groups([group]), group)
    except KafkaError as exc:
        log.warning("cannot describe consumer group %s: %s", group, exc)
        return None
    finally:
        await admin.close()


class GroupWatcher:
    """Keeps ``deployment.members`` equal to the consumer group's size.

    Args:
        describe: Asks the broker for the group's size.
        deployment: What the limiters read.
        attempts: Describes per refresh while the group is rebalancing.
        pause: Seconds between those.
    """

    def __init__(
        self,
        describe: Callable[[], Awaitable[int | None]],
        deployment: Deployment = DEPLOYMENT,
        *,
        attempts: int = 5,
        pause: float = 1.0,
    ) -> None:
        self.describe = describe
        self.deployment = deployment
        self.attempts = attempts
        self.pause = pause
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Ask again; keep the last known size when the group is unsettled."""
        async with self._lock:
            for attempt in range(self.attempts):
                members = await self.describe()
                if members:
                    self._set(members)
                    return
                if attempt + 1 < self.attempts:
                    await asyncio.sleep(self.pause)

    def _set(self, members: int) -> None:
        if members != self.deployment.members:
            log.info("rate limits: %d workers share each system's limit", members)
        self.deployment.members = members


def watch_membership(
    app: faust.App, settings: StreamSettings, deployment: Deployment = DEPLOYMENT
) -> None:
    """Register the refreshes of ``deployment`` on ``app`` (per its settings)."""
    sharing = load_settings(SharingSettings)
    deployment.poll_share = sharing.poll_share
    if not sharing.shared:
        return
    watcher = GroupWatcher(
        lambda: describe_group(settings.kafka_bootstrap, settings.app_id), deployment
    )

    async def after_rebalance(
        sender: Any, /, *args: Any, signal: Any, **kwargs: Any
    ) -> None:
        # Sent before the agents resume: their first writes use the new share.
        # Bounded: a slow broker must not hold the agents up for long.
        try:
            await asyncio.wait_for(watcher.refresh(), REBALANCE_SECONDS)
        except TimeoutError:
            log.warning("consumer group size unknown after a rebalance; kept")

    app.on_rebalance_complete.connect(after_rebalance)
    app.timer(sharing.refresh_seconds, name="rate-limit-members")(watcher.refresh)
