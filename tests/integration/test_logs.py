"""Logs of a real worker and of the tools' topic readers on a real broker."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import timedelta
from typing import Any

from devkit.local import LocalDeployment
from ops.demo import follow_writes
from schemas.observe import WriteOp, WriteRecord
from schemas.utc import utc_now
from standins.webcrm import seed_webcrm
from streams.kafka_io import publisher, read_all
from streams.provision import TopicSpec, ensure_topics_sync
from tests.integration.scenario import counts, webcrm_customcrm

BAD_PRODUCT = {
    "ProductId": 9999,
    "ProductCombined": "Logs Testprodukt",
    "ProductComment": "",
    "ProductPrice": "lots",  # not a number: a dead letter at the source
    "ProductVatCode": "25",
    "ProductUpdatedAt": "2024-06-01T12:00:00.0000000+01:00",
}


def _lines(local: LocalDeployment) -> list[str]:
    text = local.log_path("w1").read_text(errors="replace")
    return [line for line in text.splitlines() if line.strip()]


def _json_lines(local: LocalDeployment) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _lines(local)]


def _secrets(local: LocalDeployment) -> list[str]:
    names = ("TOKEN", "KEY", "SECRET", "PASSWORD")
    env = local.worker_env("w1")
    return [v for k, v in env.items() if any(n in k for n in names) and len(v) > 6]


def test_a_json_worker_writes_json_lines_with_the_record_of_a_dead_letter(
    kafka_bootstrap, tmp_path
):
    env = {"TETHER_LOG_FORMAT": "json"}
    with webcrm_customcrm(kafka_bootstrap, tmp_path, extra_env=env) as (
        local,
        webcrm,
        customcrm,
    ):
        seed_webcrm(webcrm, organisations=3, persons=4, products=2)
        webcrm.inject_raw("Products", BAD_PRODUCT)
        local.start_worker()
        local.wait_for(lambda: counts(customcrm) == (3, 4, 2), what="the good records")

        def letter_line() -> dict[str, Any] | None:
            for line in _lines(local):
                record = json.loads(line)  # fails the test on a line that is not
                if record["message"].startswith("dead letter:"):
                    return record  # type: ignore[no-any-return]
            return None

        local.wait_for(lambda: letter_line() is not None, what="the dead letter line")
        letter = letter_line()
        assert letter is not None
        assert letter["level"] == "ERROR"
        assert letter["logger"] == "streams.topology"
        assert (letter["system"], letter["type"], letter["id"]) == (
            "webcrm",
            "Products",
            "9999",
        )
        local.stop_worker("w1")
        records = _json_lines(local)
        assert {"time", "level", "logger", "message"} <= set(records[0])
        # Quiet: faust's and aiokafka's own INFO lines are not there.
        chatter = [
            r
            for r in records
            if r["level"] == "INFO" and r["logger"].startswith(("faust", "mode", "aio"))
        ]
        assert not chatter, chatter[:3]
        assert not [r for r in records if "Starting..." in r["message"]]
        text = local.log_path("w1").read_text(errors="replace")
        secrets = _secrets(local)
        assert secrets  # the stand-ins' keys are in the worker's environment
        for secret in secrets:
            assert secret not in text


def test_reading_a_topic_just_created_logs_no_error(kafka_bootstrap, caplog):
    topic = f"logs-{uuid.uuid4().hex[:10]}"
    caplog.set_level(logging.INFO)
    # Created and read at once, as the demo reads the worker's new topics.
    ensure_topics_sync(kafka_bootstrap, [TopicSpec(topic, partitions=8)], 1)
    assert asyncio.run(read_all(kafka_bootstrap, topic)) == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def test_the_demo_follows_writes_once_each_in_time_order(kafka_bootstrap, tmp_path):
    local = LocalDeployment(
        bootstrap=kafka_bootstrap,
        app_id=f"it-{uuid.uuid4().hex[:10]}",
        home=tmp_path,
        standins={},
    )
    topic = local.topics.writes
    ensure_topics_sync(kafka_bootstrap, [TopicSpec(topic, partitions=3)], 1)
    now = utc_now()

    def write(record_id: str, city: str, seconds: float) -> WriteRecord:
        return WriteRecord(
            flow="customcrm-customers-to-webcrm-persons",
            system="webcrm",
            entity="persons",
            record_id=record_id,
            op=WriteOp.UPDATE,
            from_system="customcrm",
            from_entity="customers",
            from_id="17",
            changed_at=now - timedelta(seconds=seconds),
            before={"City": "Oslo"},
            after={"City": city},
            written_at=now,
        )

    async def publish(records: list[WriteRecord]) -> None:
        async with publisher(kafka_bootstrap) as send:
            for record in records:
                key = f"{record.system}/{record.entity}/{record.record_id}"
                await send(topic, key, record.model_dump(mode="json"))

    asyncio.run(publish([write("4", "Bergen", 1.8)]))
    lines, since = follow_writes(local, {})
    assert lines == [
        f"{now:%H:%M:%S} customcrm customers 17 -> webcrm persons 4: "
        'City "Oslo" -> "Bergen" (1.8 s after the change)'
    ]
    assert follow_writes(local, since)[0] == []
    asyncio.run(publish([write("5", "Trondheim", 2.0), write("6", "Tromsø", 3.0)]))
    lines, _ = follow_writes(local, since)
    assert len(lines) == 2
    assert {line.split(": ")[0].split()[-1] for line in lines} == {"5", "6"}
