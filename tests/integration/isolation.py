"""Shared by the isolation tests: a deployment, partitions, dead letters, publishing.

Each trigger test proves three things: the record is dead-lettered (naming
system, type, id, stage and reason), the worker is the same process as before,
and a later edit of another record of the same flow on the same partition
syncs (so the partition moved on past the bad record).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

from devkit.local import LocalDeployment, latest_by_key
from standins import StandIn
from streams.kafka_io import publisher

COMPANIES = "membercare-companies-to-customwebshop-customer"


@contextmanager
def deployment(
    bootstrap: str,
    home: Path,
    standins: dict[str, StandIn],
    flows: str,
    **options: Any,
) -> Iterator[LocalDeployment]:
    """Started stand-ins and a deployment of ``flows`` (no worker started yet)."""
    for standin in standins.values():
        standin.start()
    local = LocalDeployment(
        bootstrap=bootstrap,
        app_id=f"it-iso-{uuid.uuid4().hex[:8]}",
        home=home,
        standins=standins,
        flows=flows,
        **options,
    )
    try:
        yield local
    finally:
        local.stop()
        for standin in standins.values():
            standin.stop()


def partition_of(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` (murmur2, positive)."""
    return (murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % partitions


def partner(key: str, candidates: Iterable[str], partitions: int) -> str:
    """Another of ``candidates`` on ``key``'s partition (the first, in id order)."""
    wanted = partition_of(key, partitions)
    for candidate in sorted(candidates):
        if candidate != key and partition_of(candidate, partitions) == wanted:
            return candidate
    msg = f"no other id on the partition of {key!r} ({wanted}); seed more records"
    raise AssertionError(msg)


class Worker:
    """The one worker process of a deployment, as it was when watching began."""

    def __init__(self, local: LocalDeployment, name: str = "w1") -> None:
        self.local = local
        self.name = name
        self.pid = local.workers[name].pid

    def assert_same(self) -> None:
        """The worker is the very process it was, and it runs."""
        process = self.local.workers[self.name]
        assert process.pid == self.pid, "the worker was replaced"
        assert process.poll() is None, f"the worker exited with {process.returncode}"


def table_links(local: LocalDeployment, flow: str) -> dict[str, str]:
    """A flow's links, source id -> target id, from its link table's changelog.

    The link table is the truth (DESIGN.md rule 16): link notices can be forged.
    """
    rows = latest_by_key(local.read_topic(local.topics.links_changelog(flow)))
    return {
        row["source_id"]: row["target_id"]
        for row in rows.values()
        if not row.get("target_deleted_at")  # a tombstone is no link (rule 17)
    }


def letters(local: LocalDeployment) -> list[dict[str, Any]]:
    """Every dead letter published so far, oldest first."""
    return [v for _, v in local.read_topic(local.topics.deadletters) if v]


def wait_for_letter(
    local: LocalDeployment,
    *,
    system: str,
    entity: str,
    record_id: str,
    stage: str,
    matching: Callable[[dict[str, Any]], bool] = lambda letter: True,
    timeout: float = 180.0,
) -> dict[str, Any]:
    """The (latest) dead letter of this record at this stage, once published."""
    found: list[dict[str, Any]] = []

    def arrived() -> bool:
        found[:] = [
            letter
            for letter in letters(local)
            if (
                letter["system"],
                letter["entity"],
                letter["record_id"],
                letter["stage"],
            )
            == (system, entity, record_id, stage)
            and matching(letter)
        ]
        return bool(found)

    what = f"a {stage} dead letter for {system} {entity} {record_id}"
    local.wait_for(arrived, timeout=timeout, what=what, interval=1.0)
    letter = found[-1]
    assert letter["reason"], letter
    return letter


def wait_until(
    local: LocalDeployment,
    condition: Callable[[], bool],
    what: str,
    timeout: float = 180.0,
) -> None:
    """``local.wait_for`` with a generous default and a calmer pace."""
    local.wait_for(condition, timeout=timeout, what=what, interval=1.0)


def publish(local: LocalDeployment, topic: str, key: str, value: Any) -> None:
    """Publish ``value`` as JSON under ``key``, as another service could."""

    async def send() -> None:
        async with publisher(local.bootstrap) as put:
            await put(topic, key, value)

    asyncio.run(send())


def publish_raw(local: LocalDeployment, topic: str, key: str, value: bytes) -> None:
    """Publish bytes that need not be JSON at all."""

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=local.bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, key=key.encode(), value=value)
        finally:
            await producer.stop()

    asyncio.run(send())


def latest_event(local: LocalDeployment, topic: str, key: str) -> dict[str, Any]:
    """The latest change of ``key`` on an entity topic, as JSON."""
    event: dict[str, Any] = latest_by_key(local.read_topic(topic))[key]
    return event


@contextmanager
def four_systems(
    bootstrap: str, home: Path, sizes: dict[str, int], seed: int
) -> Iterator[tuple[LocalDeployment, dict[str, StandIn]]]:
    """Webcrm <-> Customcrm beside Membercare -> Customwebshop after the first
    sync, one worker; a failing system is probed often.

    ``sizes``: the linked count each flow reaches (its Webcrm organisations,
    persons and products, and Membercare companies, seeded so).
    """
    from standins import (
        CustomcrmStandIn,
        CustomwebshopStandIn,
        MembercareStandIn,
        WebcrmStandIn,
        membercare_sample,
    )
    from standins.webcrm import seed_webcrm
    from tests.integration.scenario import ORGS, PERSONS, PRODUCTS

    standins: dict[str, StandIn] = {
        "webcrm": WebcrmStandIn(),
        "customcrm": CustomcrmStandIn(),
        "membercare": MembercareStandIn(),
        "customwebshop": CustomwebshopStandIn(),
    }
    env = {
        "TETHER_HEALTH_FIRST_RETRY_SECONDS": "1",
        "TETHER_HEALTH_MAX_RETRY_SECONDS": "4",
    }
    flows = "webcrm-customcrm,membercare-customwebshop"
    with deployment(bootstrap, home, standins, flows, extra_env=env) as local:
        standins["webcrm"].set_faults(rate_limit=None)
        seed_webcrm(
            standins["webcrm"],  # type: ignore[arg-type]
            organisations=sizes[ORGS], persons=sizes[PERSONS],
            products=sizes[PRODUCTS], seed=seed,
        )  # fmt: skip
        membercare = membercare_sample(
            companies=sizes[COMPANIES],
            persons=2,
            organizations=1,
            invoices=0,
            seed=seed,
        )
        for resource, records in membercare.items():
            standins["membercare"].seed(resource, records)
        local.start_worker()
        wait_until(
            local,
            lambda: all(len(table_links(local, f)) == n for f, n in sizes.items()),
            "the first sync",
            timeout=300,
        )
        yield local, standins
