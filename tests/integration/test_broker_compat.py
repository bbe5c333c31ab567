"""Kafka 4.1 + aiokafka 0.14 + faust-streaming 0.15.3 on the real broker (notes 2.3).

Proves what tether relies on: a produce/consume round trip, CreateTopics with
configs, the idempotent producer of ``streams.kafka_transport``, a faust worker
joining its group with faust's assignor and recovering a RocksDB table from its
changelog after SIGKILL and a wiped state folder, and a broker restart that keeps
its topics.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import faust
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from devkit.broker import (
    BrokerMode,
    BrokerSettings,
    EmbeddedBroker,
    is_ready,
    metadata_ready,
)
from streams.kafka_transport import (
    IdempotentProducer,
    IdempotentTransport,
    register_transport,
)

APP_FILE = Path(__file__).with_name("faust_table_app.py")
REPO = Path(__file__).resolve().parents[2]
UniqueName = Callable[[str], str]


@asynccontextmanager
async def admin_client(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def create_topics(bootstrap: str, *names: str, partitions: int = 1) -> None:
    async with admin_client(bootstrap) as admin:
        await admin.create_topics(
            [NewTopic(name, partitions, 1) for name in names], timeout_ms=30_000
        )


async def produce(bootstrap: str, topic: str, pairs: dict[bytes, bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in pairs.items():
            await producer.send(topic, key=key, value=value)
        await producer.flush()
    finally:
        await producer.stop()


async def read_until(
    bootstrap: str,
    topic: str,
    done: Callable[[dict[bytes, bytes]], bool],
    within: float = 60.0,
) -> dict[bytes, bytes]:
    """Latest value per key of ``topic`` from the start, once ``done`` says so."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    latest: dict[bytes, bytes] = {}
    try:
        async with asyncio.timeout(within):
            while not done(latest):
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        assert record.key is not None
                        assert record.value is not None
                        latest[record.key] = record.value
    finally:
        await consumer.stop()
    return latest


async def test_produce_consume_round_trip(
    kafka_bootstrap: str, unique_name: UniqueName
) -> None:
    topic = unique_name("roundtrip")
    await create_topics(kafka_bootstrap, topic, partitions=3)
    sent = {f"key-{i}".encode(): f"value-{i}".encode() for i in range(30)}

    await produce(kafka_bootstrap, topic, sent)
    got = await read_until(kafka_bootstrap, topic, lambda seen: len(seen) >= 30)

    assert got == sent


async def test_create_topics_with_configs(
    kafka_bootstrap: str, unique_name: UniqueName
) -> None:
    topic = unique_name("compacted")
    configs = {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}
    async with admin_client(kafka_bootstrap) as admin:
        await admin.create_topics(
            [NewTopic(topic, 2, 1, topic_configs=configs)], timeout_ms=30_000
        )
        described = await admin.describe_topics([topic])
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, dict.fromkeys(configs))]
        )

    assert len(described[0]["partitions"]) == 2
    entries = {
        name: value
        for response in responses
        for resource in response.resources
        for name, value, *_ in resource[4]
    }
    assert entries == configs


async def test_idempotent_transport(
    kafka_bootstrap: str, unique_name: UniqueName
) -> None:
    register_transport()
    topic = unique_name("idempotent")
    await create_topics(kafka_bootstrap, topic)
    app = faust.App(
        unique_name("idem-app"),
        broker=f"idemkafka://{kafka_bootstrap}",
        web_enabled=False,
    )
    assert isinstance(app.transport, IdempotentTransport)
    producer = app.producer
    assert isinstance(producer, IdempotentProducer)

    await producer.start()
    try:
        metadata = await producer.send_and_wait(
            topic, b"k", b"v", partition=None, timestamp=None, headers=None
        )
        inner = producer._producer  # the AIOKafkaProducer faust built
        assert inner is not None
        txn = inner._txn_manager
        assert txn is not None, "faust dropped enable_idempotence"
        assert txn.producer_id >= 0, "broker did not hand out a producer id"
        assert inner._sender._acks == -1
    finally:
        await producer.stop()
    got = await read_until(kafka_bootstrap, topic, lambda seen: b"k" in seen)

    assert metadata.offset == 0
    assert got == {b"k": b"v"}
    plain = faust.App(unique_name("plain-app"), broker=f"kafka://{kafka_bootstrap}")
    plain_producer = plain.producer
    assert not isinstance(plain_producer, IdempotentProducer)
    assert "enable_idempotence" not in plain_producer._settings_extra()  # type: ignore[attr-defined]


class FaustWorker:
    """``faust_table_app.py worker`` as a subprocess, logging to files in ``logs``."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = {**os.environ, **env}
        self.logs = logs
        self.runs = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.log_path = logs / "worker-0.log"

    async def start(self, within: float = 120.0) -> float:
        """Start and wait for faust's "Worker ready" (recovery done); return seconds."""
        self.runs += 1
        self.log_path = self.logs / f"worker-{self.runs}.log"
        started = time.monotonic()
        with self.log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(APP_FILE),
                "worker",
                "-l",
                "info",
                "--without-web",
                cwd=REPO,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        deadline = started + within
        while "Worker ready" not in self.log_path.read_text("utf-8", "replace"):
            if self.proc.returncode is not None:
                raise AssertionError(f"worker exited:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker not ready in {within}s:\n{self.tail()}")
            await asyncio.sleep(0.2)
        return time.monotonic() - started

    def tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            async with asyncio.timeout(30):
                await self.proc.wait()
        except TimeoutError:
            await self.kill()


async def wait_committed(
    bootstrap: str, group: str, tp: TopicPartition, end: int
) -> None:
    async with admin_client(bootstrap) as admin, asyncio.timeout(30):
        while True:
            offsets = await admin.list_consumer_group_offsets(group)
            if tp in offsets and offsets[tp].offset >= end:
                return
            await asyncio.sleep(0.2)


async def test_faust_worker_recovers_rocksdb_table(
    kafka_bootstrap: str, unique_name: UniqueName, tmp_path: Path
) -> None:
    app_id = unique_name("app")
    sets, queries, answers = (unique_name(n) for n in ("sets", "queries", "answers"))
    await create_topics(kafka_bootstrap, sets, queries, answers)
    state = tmp_path / "state"
    worker = FaustWorker(
        {
            "TETHER_IT_APP_ID": app_id,
            "TETHER_IT_BOOTSTRAP": kafka_bootstrap,
            "TETHER_IT_DATADIR": str(state),
            "TETHER_IT_SETS_TOPIC": sets,
            "TETHER_IT_QUERIES_TOPIC": queries,
            "TETHER_IT_ANSWERS_TOPIC": answers,
        },
        tmp_path,
    )
    pairs = {f"key-{i}".encode(): f"value-{i}".encode() for i in range(25)}
    try:
        await worker.start()
        async with admin_client(kafka_bootstrap) as admin:
            [group] = await admin.describe_consumer_groups([app_id])
        _, group_id, group_state, protocol_type, protocol, members, *_ = group.groups[0]
        assert (group_id, group_state, protocol_type) == (app_id, "Stable", "consumer")
        assert protocol == "faust", "not faust's PartitionAssignor"
        assert len(members) == 1

        await produce(kafka_bootstrap, sets, pairs)
        changelog = await read_until(
            kafka_bootstrap, f"{app_id}-values-changelog", lambda seen: seen == pairs
        )
        assert changelog == pairs
        # Inputs committed: after the restart nothing is replayed, so the table
        # can only come back from the changelog.
        await wait_committed(kafka_bootstrap, app_id, TopicPartition(sets, 0), 25)
        assert list(state.rglob("CURRENT")), "no RocksDB files in the state folder"

        await worker.kill()
        shutil.rmtree(state)
        await worker.start()
        await produce(kafka_bootstrap, queries, {key: b"" for key in pairs})
        answered = await read_until(
            kafka_bootstrap, answers, lambda seen: len(seen) >= len(pairs)
        )
    finally:
        await worker.stop()

    assert answered == pairs, worker.tail()
    assert "Restoring state from changelog topics" in worker.log_path.read_text()
    assert list(state.rglob("CURRENT")), "the table was not rebuilt in RocksDB"


async def test_broker_restart_keeps_topics(
    restartable_broker: EmbeddedBroker, unique_name: UniqueName
) -> None:
    broker = restartable_broker
    topic = unique_name("durable")
    await create_topics(broker.bootstrap, topic)
    await produce(broker.bootstrap, topic, {b"k": b"before restart"})

    # Blocking calls on purpose: an owned broker gets SIGTERM when the thread that
    # started it ends, so it must not be started from a throwaway worker thread.
    broker.stop()
    assert not await metadata_ready(broker.bootstrap, request_timeout=2.0)
    broker.start()

    async with admin_client(broker.bootstrap) as admin:
        assert topic in await admin.list_topics()
    got = await read_until(broker.bootstrap, topic, lambda seen: b"k" in seen)
    assert got == {b"k": b"before restart"}


def tether(settings: BrokerSettings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TETHER_BROKER_HOME": str(settings.home),
        "TETHER_BROKER_LIBS": str(settings.libs),
        "TETHER_BROKER_PORT": str(settings.port),
        "TETHER_BROKER_CONTROLLER_PORT": str(settings.controller_port),
    }
    script = shutil.which("tether", path=str(Path(sys.executable).parent))
    assert script is not None, "the tether console script is not installed"
    command = [script, *args]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_cli_broker_outlives_the_cli(isolated_broker_settings: BrokerSettings) -> None:
    settings = isolated_broker_settings
    pid_path = settings.home / "broker.pid"
    try:
        started = tether(settings, "broker", "start")
        assert started.returncode == 0, started.stderr
        assert "ready in" in started.stdout
        pid = int(pid_path.read_text())
        os.kill(pid, 0)  # the JVM runs on after the CLI process exited
        assert is_ready(settings.bootstrap)

        status = tether(settings, "broker", "status")
        assert status.returncode == 0, status.stderr
        assert settings.bootstrap in status.stdout
        assert str(pid) in status.stdout
        assert "4.1." in status.stdout

        stopped = tether(settings, "broker", "stop")
        assert stopped.returncode == 0, stopped.stderr
        assert not pid_path.exists()
        assert tether(settings, "broker", "status").returncode == 3
    finally:
        EmbeddedBroker(settings, mode=BrokerMode.DETACHED).stop()
    assert list((settings.home / "logs").glob("server.log")), "no broker log file"
