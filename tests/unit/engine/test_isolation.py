"""Whatever one record does costs at most that record; a failing system waits."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.errors import (
    AuthenticationError,
    FatalError,
    InvalidRecordError,
    TransientError,
)
from engine.delivery import RecordSettings
from engine.health import HealthSettings, SystemHealth, poll_guarded
from schemas.status import SystemState, SystemStatus
from tests.unit.engine.test_handlers import ORG
from tests.unit.engine.test_runner import WHERE, Rig


class Probes:
    """A scripted probe per system, and the statuses the health published."""

    def __init__(self, failures: dict[str, int] | None = None) -> None:
        self.failures = dict(failures or {})
        self.probed: list[str] = []
        self.published: list[SystemStatus] = []

    async def probe(self, system: str) -> None:
        self.probed.append(system)
        if self.failures.get(system, 0) > 0:
            self.failures[system] -= 1
            msg = f"{system} GET /x -> 401: credentials refused"
            raise AuthenticationError(msg)

    async def publish(self, status: SystemStatus) -> None:
        self.published.append(status)

    def health(self) -> SystemHealth:
        async def no_sleep(seconds: float) -> None:
            return None

        return SystemHealth(
            self.probe,
            self.publish,
            HealthSettings(first_retry_seconds=1, fresh_seconds=0),
            sleep=no_sleep,
        )


def rig_with(
    exc: Exception, *, times: int = 10**6, probes: Probes | None = None
) -> tuple[Rig, dict[str, int]]:
    rig = Rig()
    rig.runner.records = RecordSettings(max_attempts=2, max_seconds=60)
    if probes is not None:
        rig.runner.health = probes.health()
    sink = rig.world.customcrm
    original = sink.create
    calls = {"n": 0}

    async def create(entity: str, data: Any, *, idempotency_key: str) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise exc
        return await original(entity, data, idempotency_key=idempotency_key)

    sink.create = create  # type: ignore[method-assign]
    return rig, calls


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr("engine.delivery.asyncio.sleep", no_sleep)


async def test_an_unexpected_exception_is_a_dead_letter_and_the_next_event_flows():
    rig, _ = rig_with(ValueError("year 52000 is out of range"), times=1)
    bad = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", bad, WHERE)
    [letter] = rig.letters
    assert (letter.stage, letter.record_id, letter.error_type) == (
        "flow",
        "1",
        "ValueError",
    )
    assert "year 52000" in letter.reason
    good = rig.world.webcrm.put("Organisations", "2", {**ORG, "OrganisationId": 2})
    await rig.runner.on_change("2", good, WHERE)
    assert "2" in rig.links
    assert len(rig.letters) == 1


async def test_a_fatal_error_of_one_record_is_a_dead_letter_when_its_systems_answer():
    probes = Probes()
    rig, _ = rig_with(
        FatalError("customcrm POST /customers -> 302: unexpected"), probes=probes
    )
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    assert [letter.error_type for letter in rig.letters] == ["FatalError"]
    assert set(probes.probed) == {"webcrm", "customcrm"}
    # Nothing is failing: each system's first answer is published as ok.
    assert {(s.system, s.state) for s in probes.published} == {
        ("webcrm", SystemState.OK),
        ("customcrm", SystemState.OK),
    }


async def test_a_failing_system_makes_the_flow_wait_then_the_record_goes_through():
    probes = Probes({"customcrm": 2})
    rig, calls = rig_with(
        AuthenticationError("customcrm POST /customers -> 401"), times=1, probes=probes
    )
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    assert not rig.letters  # an outage is not the record's fault
    assert "1" in rig.links
    assert calls["n"] == 2
    states = [(s.system, s.state) for s in probes.published]
    assert [state for state in states if state[0] == "customcrm"] == [
        ("customcrm", SystemState.FAILING),
        ("customcrm", SystemState.OK),
    ]
    [refused] = [s for s in probes.published if s.state is SystemState.FAILING]
    assert "credentials refused" in refused.reason


async def test_always_failing_transiently_is_a_dead_letter_after_the_budget():
    probes = Probes()
    rig, calls = rig_with(
        TransientError("customcrm POST /customers -> 503"), probes=probes
    )
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    assert calls["n"] == 2  # max_attempts
    [letter] = rig.letters
    assert letter.error_type == "TransientError"
    assert "503" in letter.reason


async def test_a_message_keyed_by_another_id_is_a_dead_letter_not_applied():
    rig = Rig()
    event = rig.world.webcrm.put(
        "Organisations", "9024", {**ORG, "OrganisationId": 9024}
    )
    await rig.runner.on_change("9018", event, WHERE)
    [letter] = rig.letters
    assert letter.stage == "check"
    assert "9018" in letter.reason
    assert not rig.links
    assert not rig.world.customcrm.writes


async def test_a_change_its_source_would_not_send_is_a_dead_letter():
    rig = Rig()

    def check(event: Any) -> None:
        msg = "webcrm Organisations 1: modified_at 9999-12-31 is in the future"
        raise InvalidRecordError(
            msg, system="webcrm", entity="Organisations", record_id="1"
        )

    rig.runner.check = check
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    assert [letter.stage for letter in rig.letters] == ["check"]
    assert not rig.world.customcrm.writes


async def test_a_failing_poll_marks_its_system_failing_and_a_good_one_ok():
    probes = Probes()
    health = probes.health()

    class Poller:
        def __init__(self) -> None:
            self.source = type("S", (), {"system": "webcrm"})()
            self.fail = True

        async def poll(self) -> None:
            if self.fail:
                msg = "webcrm POST /Auth/ApiLogin -> 401: login refused"
                raise AuthenticationError(msg)

    poller = Poller()
    await poll_guarded(poller, health)  # type: ignore[arg-type]
    assert health.is_failing("webcrm")
    await poll_guarded(poller, health)  # type: ignore[arg-type]  # backing off
    assert len(probes.published) == 1
    poller.fail = False
    health._tracked("webcrm").delay = 0  # the backoff has passed
    await poll_guarded(poller, health)  # type: ignore[arg-type]
    assert not health.is_failing("webcrm")
    assert [s.state for s in probes.published] == [SystemState.FAILING, SystemState.OK]


async def test_a_workers_first_answer_is_published_once_then_only_changes():
    probes = Probes()
    health = probes.health()
    # A worker restarted mid-outage finds the system answering: the failing
    # status its predecessor left on the topic is replaced.
    assert await health.check("webcrm")
    assert await health.check("webcrm")
    await health.succeeded("webcrm")
    assert [(s.system, s.state) for s in probes.published] == [
        ("webcrm", SystemState.OK)
    ]


async def test_a_status_that_could_not_be_published_is_published_next_time():
    probes = Probes()
    attempts: list[SystemStatus] = []

    async def broker_down_once(status: SystemStatus) -> None:
        attempts.append(status)
        if len(attempts) == 1:
            msg = "no broker"
            raise ConnectionError(msg)
        probes.published.append(status)

    health = SystemHealth(probes.probe, broker_down_once)
    await health.succeeded("webcrm")
    await health.succeeded("webcrm")
    await health.succeeded("webcrm")
    assert len(attempts) == 2
    assert [s.state for s in probes.published] == [SystemState.OK]


async def test_a_one_off_refusal_while_the_systems_answer_costs_the_record_nothing():
    probes = Probes()
    rig, calls = rig_with(
        AuthenticationError("customcrm POST /customers -> 401"), times=1, probes=probes
    )
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    assert not rig.letters  # the systems answered: the record was tried once more
    assert "1" in rig.links
    assert calls["n"] == 2


async def test_a_fresh_ok_from_before_the_error_does_not_excuse_a_revoked_key():
    probes = Probes()
    clock = {"now": 100.0}
    rig, calls = rig_with(
        AuthenticationError("customcrm POST /customers -> 401"), times=1, probes=probes
    )

    async def no_sleep(seconds: float) -> None:
        clock["now"] += seconds

    health = SystemHealth(
        probes.probe,
        probes.publish,
        HealthSettings(first_retry_seconds=1, fresh_seconds=600),
        clock=lambda: clock["now"],
        sleep=no_sleep,
    )
    rig.runner.health = health
    assert await health.check("customcrm")  # ok, and fresh for ten minutes
    clock["now"] += 1
    probes.failures["customcrm"] = 1  # then the key is revoked
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    assert not rig.letters  # probed after the 401: failing, so the flow waited
    assert [s.state for s in probes.published if s.system == "customcrm"] == [
        SystemState.OK,
        SystemState.FAILING,
        SystemState.OK,
    ]
    assert calls["n"] == 2
