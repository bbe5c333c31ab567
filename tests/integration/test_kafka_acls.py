"""``tether acls`` on a broker that enforces ACLs: exactly the printed ACLs let a
worker sync and a subscriber read the change topics, and nothing more."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAuthorizationFailedError
from aiokafka.protocol.admin import CreateAclsRequest
from pydantic import SecretStr

from ops.cli import main
from standins.webcrm import seed_webcrm
from streams.kafka_security import KafkaSecurity
from tests.integration.isolation import wait_until
from tests.integration.scenario import ORGS, PERSONS, PRODUCTS, links, webcrm_customcrm
from tests.integration.secured import (
    SecuredBroker,
    collect_closed_connections,
    secured_broker,
)

PASSWORDS = {
    "admin": "admin-password-of-the-acl-test-4c1",
    "worker": "worker-password-of-the-acl-test-9e2",
    "reader": "reader-password-of-the-acl-test-7a3",
}
SIZES = {ORGS: 4, PERSONS: 6, PRODUCTS: 2}
# Kafka's protocol numbers (org.apache.kafka.common.acl / resource).
OPERATIONS = {"Read": 3, "Write": 4, "Create": 5, "Describe": 8, "IdempotentWrite": 12}
RESOURCES = {"--topic": 2, "--group": 3, "--cluster": 4}
PATTERNS = {"literal": 3, "prefixed": 4}
ALLOW = 3


@dataclass(frozen=True)
class Secured:
    """The broker's SASL_SSL listener, and how its users log in."""

    broker: SecuredBroker

    @property
    def bootstrap(self) -> str:
        return self.broker.sasl_ssl

    def env(self, user: str) -> dict[str, str]:
        """tether's settings to log in as ``user``."""
        return self.broker.sasl_env(user)

    def options(self, user: str) -> dict[str, Any]:
        """aiokafka options to log in as ``user``."""
        security = KafkaSecurity(
            security_protocol="SASL_SSL",
            ssl_cafile=self.broker.certs.ca,
            sasl_mechanism="PLAIN",
            sasl_username=user,
            sasl_password=SecretStr(PASSWORDS[user]),
        )
        return {"bootstrap_servers": self.bootstrap, **security.client_options()}


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[Secured]:
    """A broker enforcing ACLs on its SASL_SSL listener; ``admin`` is a super user."""
    with secured_broker(
        tmp_path, PASSWORDS, authorizer=True, super_users=["admin"]
    ) as broker:
        yield Secured(broker)


def parse_acl_line(line: str) -> list[tuple[int, str, int, str, int]]:
    """One ``kafka-acls.sh --add`` line as bindings: resource type, name, pattern
    type, principal, operation."""
    words = shlex.split(line)
    principal = words[words.index("--allow-principal") + 1]
    operations = [OPERATIONS[words[i + 1]] for i, w in enumerate(words)
                  if w == "--operation"]  # fmt: skip
    pattern = "literal"
    if "--resource-pattern-type" in words:
        pattern = words[words.index("--resource-pattern-type") + 1]
    if "--cluster" in words:
        resource, name = RESOURCES["--cluster"], "kafka-cluster"
    else:
        flag = next(w for w in words if w in ("--topic", "--group"))
        resource, name = RESOURCES[flag], words[words.index(flag) + 1]
    return [(resource, name, PATTERNS[pattern], principal, op) for op in operations]


async def create_acls(secured: Secured, lines: list[str]) -> int:
    """Create every binding of ``lines`` as the admin; how many were made."""
    admin = AIOKafkaAdminClient(**secured.options("admin"))
    await admin.start()
    made = 0
    try:
        for line in lines:
            for resource, name, pattern, principal, op in parse_acl_line(line):
                request = CreateAclsRequest(
                    resource, name, pattern, principal, "*", op, ALLOW
                )
                response = await admin._send_request(request)  # noqa: SLF001
                for error_code, message in response.creation_responses:
                    assert error_code == 0, message
                made += 1
    finally:
        await admin.close()
    return made


def printed_acls(
    monkeypatch, capsys, app_id: str, bootstrap: str, *, prefixed: bool
) -> list[str]:
    """What ``tether acls --format kafka-acls`` prints for the deployment."""
    monkeypatch.setenv("TETHER_FLOWS", "webcrm-customcrm")
    monkeypatch.setenv("TETHER_KAFKA_BOOTSTRAP", bootstrap)
    capsys.readouterr()
    more = ["--prefixed"] if prefixed else []
    code = main(
        [
            "acls",
            "--app-id",
            app_id,
            "--format",
            "kafka-acls",
            "--principal",
            "User:worker",
            "--subscriber-principal",
            "User:reader",
            *more,
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 0, out
    return [line for line in out.splitlines() if line and not line.startswith("#")]


async def read_some(
    secured: Secured, user: str, topic: str, wait_ms: int = 10_000
) -> int:
    """Messages of ``topic`` read from the start as ``user`` (no group)."""
    consumer = AIOKafkaConsumer(**secured.options(user), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.seek_to_beginning()
        batch = await consumer.getmany(timeout_ms=wait_ms)
        return sum(len(messages) for messages in batch.values())
    finally:
        await consumer.stop()


async def refused(secured: Secured, user: str, topic: str) -> bool:
    """Whether the broker refuses ``user`` even the description of ``topic``."""
    admin = AIOKafkaAdminClient(**secured.options(user))
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return described["error_code"] == TopicAuthorizationFailedError.errno


async def read_in_group(secured: Secured, user: str, topic: str, group: str) -> int:
    """Messages of ``topic`` read in consumer group ``group``, offsets committed."""
    consumer = AIOKafkaConsumer(
        topic, **secured.options(user), group_id=group, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        read = 0
        for _ in range(30):
            batch = await consumer.getmany(timeout_ms=1000)
            read += sum(len(messages) for messages in batch.values())
            if read:
                await consumer.commit()
                return read
        return read
    finally:
        await consumer.stop()


async def produce(secured: Secured, user: str, topic: str) -> None:
    """Send one message to ``topic`` as ``user``, acknowledged."""
    producer = AIOKafkaProducer(**secured.options(user), request_timeout_ms=15_000)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{}", key=b"x")
    finally:
        await producer.stop()


async def make_grants_topic(secured: Secured, topic: str) -> None:
    """The grants topic as a Crmoffice-rotating deployment has it, one message."""
    admin = AIOKafkaAdminClient(**secured.options("admin"))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    await produce(secured, "admin", topic)


@pytest.mark.parametrize("prefixed", [False, True], ids=["literal", "prefixed"])
def test_the_printed_acls_let_a_worker_sync_and_a_reader_only_read(
    secured: Secured, tmp_path: Path, monkeypatch, capsys, prefixed: bool
) -> None:
    for key, value in secured.env("admin").items():
        monkeypatch.setenv(key, value)  # the test's own reads: as the admin
    with webcrm_customcrm(
        secured.bootstrap, tmp_path, poll_interval=1.0,
        extra_env=secured.env("worker"),
    ) as (local, webcrm, _):  # fmt: skip
        lines = printed_acls(
            monkeypatch, capsys, local.app_id, secured.bootstrap, prefixed=prefixed
        )
        assert asyncio.run(create_acls(secured, lines)) >= len(lines)
        seed_webcrm(webcrm, organisations=4, persons=6, products=2, seed=5)
        local.start_worker()
        wait_until(
            local,
            lambda: all(len(links(local, f)) == n for f, n in SIZES.items()),
            "the first sync as the worker principal",
            timeout=300,
        )
        log = local.log_path("w1").read_text(errors="replace")
        assert "AuthorizationFailed" not in log, log[-4000:]

        changes = local.topics.entity("webcrm", "Organisations")
        assert asyncio.run(read_some(secured, "reader", changes)) > 0
        group = f"{local.app_id}.subscriber.test"
        assert asyncio.run(read_in_group(secured, "reader", changes, group)) > 0

        grants = f"{local.app_id}.grants"
        asyncio.run(make_grants_topic(secured, grants))
        assert asyncio.run(read_some(secured, "admin", grants)) == 1
        assert asyncio.run(refused(secured, "reader", grants))
        assert asyncio.run(read_some(secured, "reader", grants, wait_ms=2000)) == 0
        assert asyncio.run(
            refused(secured, "reader", local.topics.links_changelog(ORGS))
        )
        assert not asyncio.run(refused(secured, "reader", changes))
        with pytest.raises(TopicAuthorizationFailedError):
            asyncio.run(produce(secured, "reader", changes))

        # `tether status` as the subscriber: the public topics and the group's lag.
        env = {
            key: value
            for key, value in local.worker_env("cli").items()
            if key.startswith(("TETHER_", "WEBCRM_", "CUSTOMCRM_"))
        }
        for key, value in {**env, **secured.env("reader")}.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        code = main(["status", "--json"])
        collect_closed_connections()
        out, err = capsys.readouterr()
        assert code == 0, out + err
        assert "Authorization" not in err, err
