"""``tether status`` and ``deployment_status`` against a real deployment.

Webcrm <-> Customcrm beside Membercare -> Customwebshop, one worker process,
after the first sync. Worker snapshots are published onto the real
``{app}.workers`` topic beside the running worker; conflicts, dead letters and
their re-drive markers onto their real topics. Revoking Webcrm's credentials
shows Webcrm's flows failing and the others running; a paused flow shows paused.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from dataflows import flows_by_name, load_documents
from devkit.local import LocalDeployment, latest_by_key
from schemas.envelope import ConflictRecord, DeadLetter, Side
from schemas.observe import (
    DeploymentStatus,
    FlowActivity,
    FlowRunState,
    PollActivity,
    WorkerSnapshot,
)
from schemas.utc import utc_now
from standins import (
    WebcrmStandIn,
)
from streams.kafka_io import publisher, read_all
from streams.observe.follow import TopicFollower
from streams.observe.grouplag import group_lag
from streams.observe.status import StatusReader
from streams.provision import TopicSpec, ensure_topics
from streams.settings import StreamSettings
from tests.integration.isolation import four_systems, wait_until
from tests.integration.scenario import ORGS, PERSONS, PRODUCTS
from tests.integration.test_verify import run_cli

COMPANIES = "membercare-companies-to-customwebshop-customer"
SIZES = {ORGS: 4, PERSONS: 4, PRODUCTS: 2, COMPANIES: 4}
WEBCRM_FLOWS = {ORGS, PERSONS, PRODUCTS}
FAKE = "it-status-fake:1"

Systems = tuple[LocalDeployment, dict[str, Any]]


@pytest.fixture(scope="module")
def systems(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Systems]:
    """The four systems after the first sync; a failing system is probed often."""
    home = tmp_path_factory.mktemp("status")
    with four_systems(kafka_bootstrap, home, SIZES, seed=21) as deployed:
        yield deployed


def settings_of(local: LocalDeployment) -> StreamSettings:
    return StreamSettings(kafka_bootstrap=local.bootstrap, app_id=local.app_id)


def active(local: LocalDeployment) -> list[Any]:
    flows = flows_by_name(load_documents())
    names = [*WEBCRM_FLOWS, COMPANIES]
    return [flows[name] for name in sorted(names)]


def status_json(
    local: LocalDeployment, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> tuple[int, DeploymentStatus]:
    code, out, _ = run_cli(local, monkeypatch, capsys, "status", "--json")
    return code, DeploymentStatus.model_validate(json.loads(out))


def by_flow(status: DeploymentStatus) -> dict[str, Any]:
    return {f.flow: f for f in status.flows}


async def _publish(local: LocalDeployment, topic: str, *records: Any) -> None:
    settings = settings_of(local)
    spec = TopicSpec(topic, settings.partitions, compacted=topic.endswith("workers"))
    await ensure_topics(local.bootstrap, [spec], settings.replication_factor)
    async with publisher(local.bootstrap) as send:
        for key, record in records:
            await send(topic, key, record.model_dump(mode="json"))


async def _others(local: LocalDeployment, flow: str) -> tuple[int, int]:
    """Links and pending references that workers other than the fake one report
    for ``flow`` in fresh snapshots (none until workers publish snapshots)."""
    rows = latest_by_key(await read_all(local.bootstrap, local.topics.workers))
    fresh = utc_now() - timedelta(seconds=15)
    found = [WorkerSnapshot.model_validate(v) for k, v in rows.items() if k != FAKE]
    parts = [
        s.flows[flow]
        for s in found
        if s.at >= fresh and not s.stopping and flow in s.flows
    ]
    return sum(p.links for p in parts), sum(p.pending_references for p in parts)


def test_the_status_sums_fresh_snapshots_and_counts_the_topics(systems: Systems):
    local, _ = systems
    names = local.topics

    async def scenario() -> None:
        async with StatusReader(settings_of(local), active(local)) as reader:
            first = by_flow(await reader.read())
            # No snapshot of ours yet: links come from the link tables.
            for flow in (ORGS, PERSONS, PRODUCTS):
                assert first[flow].links == SIZES[flow], first[flow]
            assert all(f.state is FlowRunState.RUNNING for f in first.values())

            now = utc_now()
            live = WorkerSnapshot(
                worker=FAKE,
                started_at=now - timedelta(seconds=60),
                at=now,
                flows={COMPANIES: FlowActivity(links=40, pending_references=3,
                                               events_out=9, last_write_at=now)},
                polls=[PollActivity(system="membercare", entity="Companies",
                                    last_poll_at=now, first_read_done=True),
                       PollActivity(system="customwebshop", entity="Customer",
                                    last_poll_at=now, first_read_done=True)],
            )  # fmt: skip
            gone = WorkerSnapshot(
                worker="it-status-gone:2",
                started_at=now - timedelta(hours=2),
                at=now - timedelta(hours=1),
                flows={COMPANIES: FlowActivity(links=1000)},
            )
            conflict = ConflictRecord(
                flow=ORGS,
                source_id="1",
                target_id="a",
                property="name",
                winner=Side.SOURCE,
                winning_value="x",
                overridden_value="y",
                source_modified_at=None,
                target_modified_at=None,
                rule="newest",
            )
            letter = DeadLetter(
                system="webcrm",
                entity="Persons",
                record_id="77",
                reason="a test letter",
                stage="flow",
                error_type="RecordError",
                flow=PERSONS,
            )
            await _publish(local, names.workers, (FAKE, live), (gone.worker, gone))
            await _publish(local, names.conflicts, (f"{ORGS}/1", conflict))
            await _publish(local, names.deadletters, ("webcrm/Persons/77#t", letter))

            second = by_flow(await reader.read())
            links, pending = await _others(local, COMPANIES)
            assert second[COMPANIES].links == 40 + links
            assert second[COMPANIES].pending_references == 3 + pending
            assert second[COMPANIES].last_write_at is not None
            assert second[COMPANIES].last_poll_at is not None
            assert second[COMPANIES].first_sync.done is True
            assert second[ORGS].conflicts == 1
            assert second[PERSONS].dead_letters == 1
            assert second[PRODUCTS].links == SIZES[PRODUCTS]

            # Re-driven: the letter is no longer outstanding (read incrementally).
            marker = {"letter_failed_at": letter.failed_at.isoformat()}
            async with publisher(local.bootstrap) as send:
                await send(
                    f"{names.deadletters}.redriven", "webcrm/Persons/77#t", marker
                )
            third = by_flow(await reader.read())
            assert third[PERSONS].dead_letters == 0
            assert third[ORGS].conflicts == 1  # counted once, not again

    asyncio.run(scenario())

    def no_lag() -> bool:
        async def read() -> DeploymentStatus:
            async with StatusReader(settings_of(local), active(local)) as reader:
                return await reader.read()

        return all(f.lag == 0 for f in asyncio.run(read()).flows)

    wait_until(local, no_lag, "every flow's lag at 0 after the first sync")


def test_the_lag_is_what_a_group_committed_short_of_the_end(systems: Systems):
    local, _ = systems
    topic = f"{local.app_id}.status-lag-probe"

    async def scenario() -> dict[TopicPartition, int]:
        await ensure_topics(local.bootstrap, [TopicSpec(topic, 1)], 1)
        async with publisher(local.bootstrap) as send:
            for n in range(5):
                await send(topic, str(n), n)
        tp = TopicPartition(topic, 0)
        group = AIOKafkaConsumer(
            bootstrap_servers=local.bootstrap,
            group_id=f"{local.app_id}-probe",
            enable_auto_commit=False,
        )
        await group.start()
        try:
            group.assign([tp])
            await group.commit({tp: OffsetAndMetadata(2, "")})
        finally:
            await group.stop()
        follower = TopicFollower(local.bootstrap)
        await follower.start()
        try:
            parts = await follower.partitions([topic])
            committed = await group_lag(
                follower.admin, follower.consumer, f"{local.app_id}-probe", parts
            )
            never = await group_lag(
                follower.admin, follower.consumer, f"{local.app_id}-none", parts
            )
        finally:
            await follower.close()
        return {**committed, TopicPartition("never", 0): never[tp]}

    lag = asyncio.run(scenario())
    assert lag == {TopicPartition(topic, 0): 3, TopicPartition("never", 0): 5}


def test_revoked_credentials_fail_that_systems_flows_only(
    systems: Systems,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    local, standins = systems
    webcrm: WebcrmStandIn = standins["webcrm"]
    code, before = status_json(local, monkeypatch, capsys)
    assert (code, before.ok) == (0, True)
    assert {f.state for f in before.flows} == {FlowRunState.RUNNING}

    webcrm.tokens.auth_codes.discard(webcrm.auth_code)
    webcrm.tokens.clear()
    try:
        wait_until(
            local,
            lambda: status_json(local, monkeypatch, capsys)[0] == 1,
            "tether status to show Webcrm's flows failing",
        )
        code, during = status_json(local, monkeypatch, capsys)
        assert (code, during.ok) == (1, False)
        flows = by_flow(during)
        for name in WEBCRM_FLOWS:
            assert flows[name].state is FlowRunState.FAILING, flows[name]
            assert flows[name].reason.startswith("webcrm failing: "), flows[name]
            assert "401" in flows[name].reason
        others = [f for name, f in flows.items() if name not in WEBCRM_FLOWS]
        assert others
        assert all(f.state is FlowRunState.RUNNING for f in others)

        code, table, _ = run_cli(local, monkeypatch, capsys, "status")
        assert code == 1
        lines = table.splitlines()
        assert lines[0].split()[:2] == ["FLOW", "STATE"]
        for name in WEBCRM_FLOWS:
            [row] = [line for line in lines if line.startswith(f"{name} ")]
            assert row.split()[1] == "failing"
            assert "401" in row
        [row] = [line for line in lines if line.startswith(f"{COMPANIES} ")]
        assert row.split()[1] == "running"
        assert any(line.startswith("FAILING: 3 of ") for line in lines), table
        assert lines[-1] == "FAILING: 1 of 4 systems: webcrm"
    finally:
        webcrm.tokens.auth_codes.add(webcrm.auth_code)
    wait_until(
        local,
        lambda: status_json(local, monkeypatch, capsys)[0] == 0,
        "tether status to show Webcrm's flows running again",
    )


def test_a_paused_flow_shows_paused_with_its_reason(
    systems: Systems,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    local, _ = systems
    code, _, _ = run_cli(
        local, monkeypatch, capsys, "pause", COMPANIES, "--reason", "checking prices"
    )
    assert code == 0
    try:
        code, paused = status_json(local, monkeypatch, capsys)
        assert (code, paused.ok) == (0, True)
        shown = by_flow(paused)[COMPANIES]
        assert shown.state is FlowRunState.PAUSED
        assert shown.reason.endswith("checking prices"), shown.reason
        assert shown.since is not None
        assert all(
            f.state is FlowRunState.RUNNING for f in paused.flows if f.flow != COMPANIES
        )
        code, table, err = run_cli(local, monkeypatch, capsys, "status")
        assert err == ""  # nothing logged: no client errors, no warnings
        [row] = [line for line in table.splitlines() if line.startswith(COMPANIES)]
        assert row.split()[1] == "paused"
        assert row.endswith("checking prices")
    finally:
        assert run_cli(local, monkeypatch, capsys, "resume", COMPANIES)[0] == 0
    code, resumed = status_json(local, monkeypatch, capsys)
    assert by_flow(resumed)[COMPANIES].state is FlowRunState.RUNNING
