"""Delivered before moving on, on the real broker with a real worker process.

A change Kafka refuses keeps its source's cursor where it was until it is
delivered; a change too large for a Kafka message (over the worker's limit, or
over what the topic allows) is dead-lettered and everything after it, on the
same partition, still syncs; the worker stays up throughout.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from devkit.local import LocalDeployment, latest_by_key
from standins.webcrm import seed_webcrm
from tests.integration.scenario import counts, webcrm_customcrm

STAMP = "2024-05-01T10:00:00.0000000+01:00"


async def _admin(bootstrap: str, *, create: str = "", alter: str = "", **configs: str):
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        if create:
            await admin.create_topics([NewTopic(create, 1, 1, topic_configs=configs)])
            return
        # AlterConfigs replaces every override of the topic: name them all.
        resource = ConfigResource(ConfigResourceType.TOPIC, alter, configs=configs)
        [response] = await admin.alter_configs([resource])
        for error_code, message, *_ in response.resources:
            assert error_code == 0, message
    finally:
        await admin.close()


async def _described(bootstrap: str, topic: str, name: str) -> str | None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, topic)
        [response] = await admin.describe_configs([resource])
        for *_, entries in response.resources:
            for entry in entries:
                if entry[0] == name:
                    return str(entry[1])
        return None
    finally:
        await admin.close()


def topic_configs(bootstrap: str, topic: str, *, create: bool = False, **configs: str):
    """Create ``topic`` (one partition) with ``configs``, or set them on it."""
    where = {"create": topic} if create else {"alter": topic}
    asyncio.run(_admin(bootstrap, **where, **configs))


def until_described(
    bootstrap: str, topic: str, name: str, holds: Any, timeout: float = 60.0
) -> None:
    """Until the broker describes ``topic``'s setting ``name`` as ``holds`` wants.

    The broker applies a topic's new settings shortly after it acknowledges
    them, longer on a loaded machine; a fixed pause was a flake.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = asyncio.run(_described(bootstrap, topic, name))
        if holds(value):
            time.sleep(1.0)  # the partition's log takes it from the same update
            return
        assert time.monotonic() < deadline, f"{topic}: {name} is still {value!r}"
        time.sleep(0.5)


def letters(local: LocalDeployment) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The latest dead letter of each (system, type, id)."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for _, letter in local.read_topic(local.topics.deadletters):
        if isinstance(letter, dict):
            found[(letter["system"], letter["entity"], letter["record_id"])] = letter
    return found


def cursor(local: LocalDeployment, system: str, entity: str) -> Any:
    """The poller's saved cursor of ``system``/``entity``, from its changelog."""
    changelog = f"{local.app_id}-cursors-changelog"
    messages = [
        (orjson.loads(key), value)  # faust writes table keys as JSON text
        for key, value in local.read_topic(changelog)
        if key is not None
    ]
    return latest_by_key(messages).get(f"{system}/{entity}")


def product(product_id: int, comment: str) -> dict[str, Any]:
    return {
        "ProductId": product_id,
        "ProductCombined": f"Stor Testprodukt {product_id}",
        "ProductComment": comment,
        "ProductPrice": 100.0,
        "ProductVatCode": "25",
        "ProductUpdatedAt": STAMP,
    }


def named(customcrm: Any, resource: str, name: str) -> bool:
    return any(r.get("Name") == name for r in customcrm.records(resource))


def test_changes_too_large_for_kafka_are_dead_lettered_and_the_rest_syncs(
    kafka_bootstrap, tmp_path
):
    # Long text allowed at the source, so that only Kafka's limits refuse it.
    env = {"WEBCRM_MAX_TEXT_CHARS": "3000000"}
    with webcrm_customcrm(kafka_bootstrap, tmp_path, partitions=1, extra_env=env) as (
        local,
        webcrm,
        customcrm,
    ):
        seed_webcrm(webcrm, organisations=3, persons=4, products=4)
        # Over TETHER_MAX_MESSAGE_BYTES (1 MB): refused before it is sent.
        webcrm.inject_raw("Products", product(99001, "x" * 2_000_000))
        # Within it, but over what its topic allows: refused by the broker.
        webcrm.inject_raw("Products", product(99002, "y" * 50_000))
        topic_configs(
            kafka_bootstrap,
            local.topics.entity("webcrm", "Products"),
            create=True,
            **{"cleanup.policy": "compact", "max.message.bytes": "20000"},
        )
        worker = local.start_worker()
        local.wait_for(lambda: counts(customcrm) == (3, 4, 4), what="what fits")
        big, refused = ("webcrm", "Products", "99001"), ("webcrm", "Products", "99002")
        local.wait_for(
            lambda: {big, refused} <= set(letters(local)), what="two dead letters"
        )
        dead = letters(local)
        assert dead[big]["stage"] == "source"
        assert "too large for Kafka" in dead[big]["reason"]
        assert "TETHER_MAX_MESSAGE_BYTES" in dead[big]["reason"]
        comment = dead[big]["payload"]["ProductComment"]
        assert comment.endswith("[clipped, 2000000 characters]")
        assert "broker refused it" in dead[refused]["reason"]
        assert dead[refused]["payload"]["ProductId"] == 99002

        # The partition goes on: later changes on it, before and after the
        # refused ones in its log, still sync.
        first = webcrm.records("Products")[0]["ProductId"]
        webcrm.edit("Products", first, {"ProductCombined": "Etterpå Testprodukt"})
        local.wait_for(
            lambda: named(customcrm, "products", "Etterpå Testprodukt"),
            what="an edit made afterwards",
        )
        assert counts(customcrm) == (3, 4, 4)
        assert local.workers["w1"] is worker
        assert worker.poll() is None, "the worker stopped"


def refused_edit(
    local: LocalDeployment, webcrm: Any, customcrm: Any, org: Any, before: Any
) -> tuple[str, Any]:
    """Rename ``org`` until Kafka refuses the change twice: the name, and the
    cursor from before that edit.

    The topic refuses a timestamp older than the broker's clock. A send that
    reaches the broker within the millisecond it was stamped (or before the
    broker applies the setting) is taken, as CI saw once: that edit is synced
    like any other, and the next one is tried.
    """
    log = local.log_path("w1")

    def refusals() -> int:
        return log.read_text("utf-8", "replace").count("InvalidTimestamp")

    for attempt in range(1, 4):
        name = f"Avvist Først {attempt} AS"
        seen = refusals()
        webcrm.edit("Organisations", org, {"OrganisationName": name})
        local.wait_for(
            lambda: refusals() >= seen + 2 or named(customcrm, "customers", name),  # noqa: B023
            what="the refused sends, twice",
        )
        if not named(customcrm, "customers", name):
            return name, before
        since = before["since"]
        local.wait_for(
            lambda: cursor(local, "webcrm", "Organisations")["since"] > since,  # noqa: B023
            what="the cursor past the edit Kafka took",
        )
        before = cursor(local, "webcrm", "Organisations")
    msg = "Kafka took every edit: the topic never refused one"
    raise AssertionError(msg)


def test_a_change_kafka_refuses_keeps_the_cursor_until_it_is_delivered(
    kafka_bootstrap, tmp_path
):
    with webcrm_customcrm(kafka_bootstrap, tmp_path, partitions=1) as (
        local,
        webcrm,
        customcrm,
    ):
        seed_webcrm(webcrm, organisations=3, persons=4, products=2)
        worker = local.start_worker()
        local.wait_for(lambda: counts(customcrm) == (3, 4, 2), what="the first sync")
        local.wait_for(
            lambda: cursor(local, "webcrm", "Organisations") is not None,
            what="the cursor",
        )
        before = cursor(local, "webcrm", "Organisations")
        topic = local.topics.entity("webcrm", "Organisations")
        # A timestamp the topic refuses: every change sent to it now fails
        # (for good, as far as the producer can tell) until it is set back.
        topic_configs(
            kafka_bootstrap,
            topic,
            **{"cleanup.policy": "compact", "message.timestamp.before.max.ms": "0"},
        )
        until_described(
            kafka_bootstrap,
            topic,
            "message.timestamp.before.max.ms",
            lambda value: value == "0",
        )
        org = webcrm.records("Organisations")[1]["OrganisationId"]
        name, before = refused_edit(local, webcrm, customcrm, org, before)
        assert cursor(local, "webcrm", "Organisations") == before
        assert not named(customcrm, "customers", name)

        topic_configs(kafka_bootstrap, topic, **{"cleanup.policy": "compact"})
        until_described(
            kafka_bootstrap,
            topic,
            "message.timestamp.before.max.ms",
            lambda value: value not in (None, "0"),
        )
        local.wait_for(
            lambda: named(customcrm, "customers", name),
            what="the edit, delivered once the topic takes it",
        )
        local.wait_for(
            lambda: cursor(local, "webcrm", "Organisations")["since"] > before["since"],
            what="the cursor past the edit",
        )
        assert local.workers["w1"] is worker
        assert worker.poll() is None, "the worker stopped"
