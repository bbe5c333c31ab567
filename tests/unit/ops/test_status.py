"""``tether status`` without a broker: flows and systems, table, JSON, exit code."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.errors import ConfigurationError
from dataflows import flows_by_name, load_documents
from engine.control import FlowState
from ops.cli import build_parser, status
from schemas.observe import DeploymentStatus, FirstSync
from schemas.status import SystemState, SystemStatus
from streams.observe.flowview import Observed, deployment_view, systems_seen
from streams.settings import StreamSettings

FLOWS = flows_by_name(load_documents())
ACTIVE = [f for f in FLOWS.values() if f.source.system in ("webcrm", "membercare")]
COMPANIES = "membercare-companies-to-customwebshop-customer"
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
REFUSED = "AuthenticationError: webcrm POST /Auth/ApiLogin -> 401: credentials refused"


def failing(system: str = "webcrm", reason: str = REFUSED) -> SystemStatus:
    return SystemStatus(
        system=system,
        state=SystemState.FAILING,
        reason=reason,
        since=T0,
        checked_at=T0,
        worker="host:41",
    )


def deployment(
    reported: dict[str, SystemStatus], paused: tuple[str, ...] = ()
) -> DeploymentStatus:
    """The status of the active flows with these systems reported (no broker)."""
    control = {
        name: FlowState(flow=name, paused=True, reason="by hand", since=T0)
        for name in paused
    }
    observed = Observed(app_id="demo", at=T0, systems=reported, control=control)
    return deployment_view(observed, ACTIVE)


def test_every_system_of_the_active_flows_is_listed_ok_unless_reported():
    views = systems_seen({"webcrm": failing()}, ACTIVE)
    assert [v.system for v in views] == [
        "customcrm",
        "customwebshop",
        "membercare",
        "webcrm",
    ]
    assert [v.state for v in views] == ["ok", "ok", "ok", "failing"]
    [webcrm] = [v for v in views if v.system == "webcrm"]
    assert set(webcrm.flows) == {f.name for f in ACTIVE if "webcrm" in f.name}
    assert len(webcrm.flows) == 3


def test_a_reported_system_no_active_flow_touches_is_listed_too():
    views = systems_seen({"chargebee": failing("chargebee")}, ACTIVE)
    [chargebee] = [v for v in views if v.system == "chargebee"]
    assert (chargebee.state, chargebee.flows) == ("failing", [])


def test_a_system_that_answers_again_is_ok():
    answers = failing().model_copy(update={"state": SystemState.OK, "reason": ""})
    views = systems_seen({"webcrm": answers}, ACTIVE)
    assert all(v.state == "ok" for v in views)


def test_the_table_shows_the_reason_and_the_waiting_flows():
    lines = status.render(deployment({"webcrm": failing()}), as_json=False)
    lines = lines.splitlines()
    [top] = [line for line in lines if line.startswith("SYSTEM ")]
    assert top.split() == ["SYSTEM", "STATE", "SINCE", "WORKER", "REASON"]
    [row] = [line for line in lines if line.startswith("webcrm ")]
    assert row.split()[:5] == [
        "webcrm",
        "failing",
        "2024-05-01",
        "10:00:00Z",
        "host:41",
    ]
    assert REFUSED in row
    [ok] = [line for line in lines if line.startswith("membercare ")]
    assert ok.split() == ["membercare", "ok", "-", "-"]
    assert any(line.startswith("webcrm: 3 flows wait: webcrm-") for line in lines), (
        lines
    )
    assert lines[-1] == "FAILING: 1 of 4 systems: webcrm"


def test_all_ok_is_one_line_after_the_table():
    out = status.render(deployment({}), as_json=False)
    assert out.splitlines()[-1] == "OK: 4 systems, none failing"
    assert "wait" not in out


def test_json_has_every_system_with_state_reason_since_worker_and_flows():
    out = status.render(deployment({"webcrm": failing()}), as_json=True)
    document = json.loads(out)
    assert (document["app_id"], document["ok"]) == ("demo", False)
    systems = {s["system"]: s for s in document["systems"]}
    assert systems["webcrm"]["state"] == "failing"
    assert systems["webcrm"]["reason"] == REFUSED
    assert systems["webcrm"]["since"] == "2024-05-01T10:00:00Z"  # pydantic's form
    assert systems["webcrm"]["worker"] == "host:41"
    assert len(systems["webcrm"]["flows"]) == 3
    assert systems["membercare"] == {
        "system": "membercare",
        "state": "ok",
        "reason": "",
        "since": None,
        "checked_at": None,
        "worker": "",
        "flows": [f.name for f in ACTIVE if f.source.system == "membercare"],
    }


def _run(monkeypatch: pytest.MonkeyPatch, reported: dict[str, Any], *argv: str) -> int:
    async def load(settings: StreamSettings, flows: Any) -> DeploymentStatus:
        assert [f.name for f in flows] == [f.name for f in ACTIVE]
        return deployment(reported)

    monkeypatch.setattr(status, "load", load)
    monkeypatch.setattr(
        "ops.verify.active_flows", lambda settings: {f.name: f for f in ACTIVE}
    )
    args = build_parser().parse_args(["status", *argv])
    assert isinstance(args, argparse.Namespace)
    code: int = args.func(args)
    return code


def test_the_exit_code_says_whether_any_system_is_failing(monkeypatch, capsys):
    assert _run(monkeypatch, {"webcrm": failing()}) == 1
    assert "FAILING" in capsys.readouterr().out
    assert _run(monkeypatch, {}, "--json") == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


async def test_an_app_id_that_never_ran_is_a_configuration_error(monkeypatch):
    async def no_topics(bootstrap: str) -> set[str]:
        return set()

    monkeypatch.setattr(status, "existing_topics", no_topics)
    settings = StreamSettings(app_id="nobody")
    with pytest.raises(ConfigurationError, match=r"topic nobody\.status does not"):
        await status.load(settings, ACTIVE)


def test_each_flow_is_a_row_with_its_state_counts_and_reason():
    out = status.render(
        deployment({"webcrm": failing()}, paused=(COMPANIES,)), as_json=False
    )
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["FLOW", "STATE", "LAST", "POLL"]
    assert "DEAD LETTERS" in lines[0]
    rows = {line.split()[0]: line for line in lines[1 : 1 + len(ACTIVE)]}
    assert set(rows) == {f.name for f in ACTIVE}
    paused = rows[COMPANIES].split()
    assert paused[:8] == [COMPANIES, "paused", "-", "-", "0", "0", "0", "0"]
    assert rows[COMPANIES].endswith("by hand")
    for name, row in rows.items():
        expected = "failing" if name.startswith("webcrm-") else "running"
        expected = "paused" if name == COMPANIES else expected
        assert row.split()[1] == expected, row
    assert rows["webcrm-persons-to-customcrm-contact"].endswith(
        f"webcrm failing: {REFUSED}"
    )
    failing_flows = sorted(f.name for f in ACTIVE if f.source.system == "webcrm")
    assert f"FAILING: 3 of 7 flows (1 paused): {', '.join(failing_flows)}" in lines


def test_no_failing_flow_is_one_verdict_line_naming_the_paused_ones():
    out = status.render(deployment({}, paused=(COMPANIES,)), as_json=False)
    assert "OK: 7 flows, none failing (1 paused)" in out.splitlines()


def test_a_first_sync_in_progress_shows_its_count_rate_and_time_left():
    flow = (
        deployment({})
        .flows[0]
        .model_copy(
            update={
                "first_sync": FirstSync(
                    done=False,
                    handled=1200,
                    remaining=300,
                    rate_per_second=20.0,
                    eta_seconds=75.0,
                )
            }
        )
    )
    assert status.progress(flow) == (
        f"{flow.flow}: first sync: 1200 handled, 300 to go, 20.0/s, about 1m15s left"
    )
    unknown = flow.model_copy(update={"first_sync": FirstSync(remaining=3)})
    assert status.progress(unknown).endswith("3 to go, 0.0/s")


def test_ages_are_counted_back_from_the_status_time():
    assert status.age(None, T0) == "-"
    assert status.age(T0 - timedelta(seconds=4), T0) == "4s ago"
    assert status.age(T0 - timedelta(minutes=12, seconds=5), T0) == "12m ago"
    assert status.age(T0 - timedelta(hours=3), T0) == "3h ago"
    assert status.age(T0 - timedelta(days=2), T0) == "2d ago"
    assert status.age(T0 + timedelta(seconds=3), T0) == "0s ago"  # clocks differ


def test_the_json_is_a_deployment_status():
    out = status.render(deployment({"webcrm": failing()}), as_json=True)
    parsed = DeploymentStatus.model_validate_json(out)
    assert parsed.ok is False
    assert {f.flow for f in parsed.flows} == {f.name for f in ACTIVE}
