"""``tether check``'s system probe on each stand-in: logs in, reads, writes nothing."""

from __future__ import annotations

import socket
from typing import Any

from ops.check.findings import Outcome
from ops.check.probes import check_system
from standins import StandIn
from tests.contract.harness import Harness


def _snapshot(standin: StandIn) -> dict[str, Any]:
    return {r: standin.records(r) for r in type(standin).all_resources()}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_system_that_answers_is_ok_and_unchanged(
    harness: Harness, standin: StandIn
) -> None:
    standin.seed(harness.resource, [harness.record(i) for i in range(1, 4)])
    before = _snapshot(standin)
    standin.reset_counters()

    findings = await check_system(
        harness.system, harness.settings(standin), [harness.entity], 10.0
    )

    assert [(f.area, f.subject, f.outcome) for f in findings] == [
        (harness.system, harness.entity, Outcome.OK)
    ]
    # One page of one record where the API takes a page size.
    assert "first page read (1 row(s))" in findings[0].detail
    assert standin.write_count() == 0
    assert _snapshot(standin) == before


async def test_refused_credentials_name_the_system(
    harness: Harness, standin: StandIn
) -> None:
    secret = "wrong-secret-1234567890"
    settings = harness.settings(standin, **{harness.credential: secret})

    [finding] = await check_system(harness.system, settings, [harness.entity], 10.0)

    assert finding.outcome is Outcome.CONFIG
    assert finding.detail.startswith(f"{harness.system} refused the credentials")
    assert secret not in finding.detail


async def test_a_system_that_does_not_answer_is_unreachable_with_its_address(
    harness: Harness, standin: StandIn
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    settings = harness.settings(standin, base_url=url)

    [finding] = await check_system(harness.system, settings, [harness.entity], 10.0)

    assert finding.outcome is Outcome.UNREACHABLE
    assert f"{harness.system} at {url}" in finding.detail


async def test_types_the_system_cannot_read_fall_back_to_its_first(
    harness: Harness, standin: StandIn
) -> None:
    findings = await check_system(
        harness.system, harness.settings(standin), ["NoSuchType"], 10.0
    )
    assert len(findings) == 1
    assert findings[0].outcome is Outcome.OK
