"""What a worker records, end to end: write records, worker snapshots, metrics.

A real broker, a real worker process and two stand-ins: after a small
Webcrm -> Customcrm sync and one edit on each side, ``{app}.writes`` holds the
creates and updates with their values and causes, ``{app}.workers`` the
worker's snapshot (links, last write, polls; ``stopping`` once it stopped),
and ``/metrics`` counts the same writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from prometheus_client.parser import text_string_to_metric_families

from devkit.local import LocalDeployment, latest_by_key
from schemas.observe import WorkerSnapshot, WriteOp, WriteRecord
from standins.webcrm import seed_webcrm
from tests.integration.scenario import ORGS, counts, links, webcrm_customcrm

SMALL = {"organisations": 6, "persons": 10, "products": 3}


def writes(local: LocalDeployment) -> list[WriteRecord]:
    return [
        WriteRecord.model_validate(value)
        for _, value in local.read_topic(local.topics.writes)
        if value is not None
    ]


def snapshots(local: LocalDeployment) -> dict[str, WorkerSnapshot]:
    latest = latest_by_key(local.read_topic(local.topics.workers))
    return {k: WorkerSnapshot.model_validate(v) for k, v in latest.items()}


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the worker's ``/metrics``: (name, labels) -> value."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def topic_config(bootstrap: str, topic: str) -> dict[str, str]:
    async def describe() -> dict[str, str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            [response] = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic)]
            )
        finally:
            await admin.close()
        [resource] = response.resources
        return {entry[0]: entry[1] for entry in resource[4]}

    return asyncio.run(describe())


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def observed(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator:
    home: Path = tmp_path_factory.mktemp("observed")
    with webcrm_customcrm(kafka_bootstrap, home) as (local, webcrm, customcrm):
        url = local.receiver_url("w1")  # picks a free port for the web server
        local.extra_env.update(
            {
                "TETHER_WEB_ENABLED": "true",
                "TETHER_WEB_PORT": str(local.web_ports["w1"]),
                "TETHER_SNAPSHOT_SECONDS": "1",
                "TETHER_HEALTH_MAX_RETRY_SECONDS": "10",  # back soon after a revoke
            }
        )
        seed_webcrm(webcrm, **SMALL)
        local.start_worker()
        local.wait_for(
            lambda: counts(customcrm) == (6, 10, 3), timeout=240, what="initial sync"
        )
        local.wait_for(lambda: len(links(local, ORGS)) == 6, what="link notices")
        yield local, webcrm, customcrm, url


def test_a_create_is_recorded_with_its_values_and_cause(observed):
    local, webcrm, customcrm, _ = observed
    org = webcrm.records("Organisations")[0]
    customer_id = links(local, ORGS)[str(org["OrganisationId"])]

    def created() -> WriteRecord | None:
        return next(
            (
                w
                for w in writes(local)
                if w.op is WriteOp.CREATE and w.record_id == customer_id
            ),
            None,
        )

    local.wait_for(lambda: created() is not None, what="the create's write record")
    record = created()
    assert record is not None
    assert (record.flow, record.system, record.entity) == (
        ORGS,
        "customcrm",
        "Customer",
    )
    assert record.after["Name"] == org["OrganisationName"]
    assert record.after["City"] == org["OrganisationCity"]
    assert record.before == {}
    assert record.why == "new source record"
    assert (record.from_system, record.from_entity) == ("webcrm", "Organisations")
    assert record.from_id == str(org["OrganisationId"])
    assert record.changed_at is not None
    assert ":" in record.worker  # host:pid


def test_an_edit_is_recorded_with_before_and_after(observed):
    local, webcrm, customcrm, _ = observed
    org = webcrm.records("Organisations")[2]
    customer_id = links(local, ORGS)[str(org["OrganisationId"])]
    old_city = webcrm.get("Organisations", org["OrganisationId"])["OrganisationCity"]
    customcrm.edit("customers", customer_id, {"City": "Vardø"})

    def update() -> WriteRecord | None:
        return next(
            (
                w
                for w in writes(local)
                if w.op is WriteOp.UPDATE
                and w.system == "webcrm"
                and w.record_id == str(org["OrganisationId"])
            ),
            None,
        )

    local.wait_for(lambda: update() is not None, what="the update's write record")
    record = update()
    assert record is not None
    assert record.after == {"OrganisationCity": "Vardø"}
    assert record.before == {"OrganisationCity": old_city}
    assert record.why == "target change"
    assert (record.from_system, record.from_id) == ("customcrm", customer_id)


def test_the_worker_publishes_its_snapshot(observed):
    local, _, _, _ = observed

    def ready() -> WorkerSnapshot | None:
        found = [
            s
            for s in snapshots(local).values()
            if ORGS in s.flows
            and s.flows[ORGS].links == 6
            and s.flows[ORGS].last_write_at is not None
        ]
        return found[0] if found else None

    local.wait_for(lambda: ready() is not None, what="a snapshot with the links")
    snapshot = ready()
    assert snapshot is not None
    orgs = snapshot.flows[ORGS]
    assert orgs.creates == 6
    assert orgs.writes >= 6
    assert orgs.events_in >= 6
    assert orgs.pending_references == 0
    polls = {(p.system, p.entity): p for p in snapshot.polls}
    organisations = polls[("webcrm", "Organisations")]
    assert organisations.first_read_done
    assert organisations.records_read >= 6
    assert organisations.cursor_at is not None
    assert organisations.last_poll_at is not None
    assert not snapshot.stopping


def test_the_metrics_count_the_same_writes(observed):
    _, _, _, url = observed
    samples = scrape(url)
    created = value(
        samples,
        "tether_writes_total",
        system="customcrm",
        type="Customer",
        op="create",
        outcome="ok",
    )
    assert created == 6
    assert value(samples, "tether_creates_total", flow=ORGS) == 6
    assert value(samples, "tether_events_in_total", flow=ORGS) >= 6
    assert value(samples, "tether_events_out_total", flow=ORGS, result="written") >= 6
    assert value(samples, "tether_change_to_write_seconds_count", flow=ORGS) >= 6
    assert value(samples, "tether_flow_paused", flow=ORGS) == 0
    assert ("tether_flow_paused", (("flow", ORGS),)) in samples
    assert value(samples, "tether_system_up", system="webcrm") == 1
    assert value(samples, "tether_system_up", system="customcrm") == 1
    assert value(samples, "tether_links", flow=ORGS) == 6
    age = value(
        samples, "tether_cursor_age_seconds", system="webcrm", type="Organisations"
    )
    assert age > 0  # the sample's records were modified in 2023
    assert ("tether_consumer_lag", (("flow", ORGS),)) in samples


def test_the_writes_are_kept_for_a_time_and_the_snapshots_compacted(observed):
    local, _, _, _ = observed
    writes_config = topic_config(local.bootstrap, local.topics.writes)
    assert writes_config["cleanup.policy"] == "delete"
    assert writes_config["retention.ms"] == str(168 * 3_600_000)
    assert topic_config(local.bootstrap, local.topics.workers)["cleanup.policy"] == (
        "compact"
    )


def test_revoked_credentials_show_as_a_system_down(observed):
    local, webcrm, _, url = observed
    webcrm.tokens.auth_codes.discard(webcrm.auth_code)  # no login works any more
    webcrm.tokens.clear()
    try:
        local.wait_for(
            lambda: value(scrape(url), "tether_system_up", system="webcrm") == 0,
            timeout=120,
            what="Webcrm down in the metrics",
        )
        assert value(scrape(url), "tether_system_up", system="customcrm") == 1
    finally:
        webcrm.tokens.auth_codes.add(webcrm.auth_code)
    local.wait_for(
        lambda: value(scrape(url), "tether_system_up", system="webcrm") == 1,
        timeout=120,
        what="Webcrm up again in the metrics",
    )


def test_a_stopped_worker_says_so(observed):
    local, _, _, _ = observed
    local.stop_worker("w1")
    assert any(s.stopping for s in snapshots(local).values())
