"""``tether verify`` on a real deployment: clean after sync, one edit is one diff."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from devkit.local import LocalDeployment
from ops.cli import EX_CONFIG, main
from schemas.catalog import SYSTEMS
from standins import CustomcrmStandIn, WebcrmStandIn
from standins.webcrm import seed_webcrm
from streams.kafka_io import read_latest
from streams.provision import TopicSpec, ensure_topics
from tests.integration.scenario import (
    ORGS,
    PERSONS,
    PRODUCTS,
    counts,
    links,
    webcrm_customcrm,
)

SMALL = (8, 20, 5)
Deployment = tuple[LocalDeployment, WebcrmStandIn, CustomcrmStandIn]


def run_cli(
    local: LocalDeployment,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *argv: str,
) -> tuple[int, str, str]:
    """Run ``tether`` in this process with the deployment's environment."""
    env = local.worker_env("cli")
    prefixes = ("TETHER_", *(f"{system.upper()}_" for system in SYSTEMS))
    for key in list(os.environ):
        if key.startswith(prefixes) and key not in env:
            monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith(prefixes):
            monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def synced(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """A small deployment after its initial sync (8 orgs, 20 persons, 5 products)."""
    home: Path = tmp_path_factory.mktemp("verify")
    with webcrm_customcrm(kafka_bootstrap, home) as (local, webcrm, customcrm):
        organisations, persons, products = SMALL
        seed_webcrm(
            webcrm, organisations=organisations, persons=persons, products=products
        )
        local.start_worker()
        local.wait_for(lambda: counts(customcrm) == SMALL, what="initial sync")
        local.wait_for(
            lambda: (
                [len(links(local, f)) for f in (ORGS, PERSONS, PRODUCTS)] == list(SMALL)
            ),
            timeout=60,
            what="link notices",
        )
        yield local, webcrm, customcrm


def test_after_sync_verify_finds_nothing_and_exits_0(synced, monkeypatch, capsys):
    local, _, _ = synced
    code, out, err = run_cli(local, monkeypatch, capsys, "verify", "--json")
    report: dict[str, Any] = json.loads(out)
    assert report["findings"] == []
    assert report["ok"] is True
    assert report["summary"]["flows"] == 3
    assert report["summary"]["links"] == sum(SMALL)
    assert [(f["flow"], f["links"], f["sources"]) for f in report["flows"]] == [
        (ORGS, 8, 8),
        (PERSONS, 20, 20),
        (PRODUCTS, 5, 5),
    ]
    assert code == 0
    # Progress goes to stderr, per flow, with counts.
    assert f"verify: {ORGS}: 8 links" in err
    assert "verify: webcrm Persons: 20 records" in err

    code, out, _ = run_cli(local, monkeypatch, capsys, "verify")
    assert code == 0
    assert out.splitlines()[-1].startswith("OK: 3 flows, 33 links checked; 0 property")


def test_one_edit_while_stopped_is_exactly_one_difference(synced, monkeypatch, capsys):
    local, webcrm, customcrm = synced
    org = webcrm.records("Organisations")[2]
    source_id = str(org["OrganisationId"])
    customer_id = links(local, ORGS)[source_id]
    local.stop_worker()
    customcrm.edit("customers", customer_id, {"City": "Hammerfest"})

    code, out, _ = run_cli(local, monkeypatch, capsys, "verify", "--json")
    report = json.loads(out)
    [finding] = report["findings"]
    assert finding["kind"] == "difference"
    assert finding["flow"] == ORGS
    assert (finding["source_id"], finding["target_id"]) == (source_id, customer_id)
    assert finding["property"] == "OrganisationCity->City"
    assert finding["source_value"] == org["OrganisationCity"]
    assert finding["target_value"] == "Hammerfest"
    assert report["summary"]["differences"] == 1
    assert code == 1

    code, out, _ = run_cli(local, monkeypatch, capsys, "verify")
    assert code == 1
    lines = out.splitlines()
    row = lines[lines.index("Property differences (1)") + 2]
    assert row.split()[:4] == [ORGS, source_id, customer_id, "OrganisationCity->City"]
    assert f'"{org["OrganisationCity"]}"' in row
    assert '"Hammerfest"' in row
    assert lines[-1].startswith("DIFFERS: 3 flows, 33 links checked; 1 property")

    # Persons resolve their organisation through the organisation links, and
    # checking them alone does not see the customer's city.
    code, out, _ = run_cli(
        local, monkeypatch, capsys, "verify", "--json", "--flow", PERSONS
    )
    report = json.loads(out)
    assert (report["summary"]["flows"], report["findings"]) == (1, [])
    assert code == 0


def test_an_app_id_that_never_ran_is_a_configuration_error(synced, monkeypatch, capsys):
    local, _, _ = synced
    code, out, err = run_cli(
        local, monkeypatch, capsys, "verify", "--app-id", "no-such-deployment"
    )
    assert code == EX_CONFIG
    assert out == ""
    # Links are read from the link tables' changelogs, never from the notices.
    assert "configuration error: topic no-such-deployment-webcrm-" in err
    assert "-links-changelog does not exist" in err


async def test_reading_a_topic_keeps_the_latest_value_per_key(
    kafka_bootstrap, unique_name
):
    topic = unique_name("latest")
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 3)])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for key, value in [
            (b"a", b'{"n": 1}'),
            (b"b", b'{"n": 1}'),
            (b"a", b'{"n": 2}'),
            (b"b", None),  # a tombstone removes its key
            (b"c", b"not json"),  # skipped, not fatal
            (None, b'{"n": 9}'),  # no key: nothing to be the latest of
        ]:
            await producer.send_and_wait(topic, key=key, value=value)
    finally:
        await producer.stop()
    assert await read_latest(kafka_bootstrap, topic) == {"a": {"n": 2}}
    assert await read_latest(kafka_bootstrap, unique_name("absent")) == {}
