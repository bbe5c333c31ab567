"""``tether status`` without a broker: flows and systems, table, JSON, exit code."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.errors import ConfigurationError
from dataflows import flows_by_name, load_documents
from engine.control import FlowState
from ops.cli import build_parser, status
from schemas.observe import DeploymentStatus
from schemas.status import SystemState, SystemStatus
from streams.observe.flowview import Observed, deployment_view, systems_seen
from streams.settings import StreamSettings

FLOWS = flows_by_name(load_documents())
ACTIVE = [f for f in FLOWS.values() if f.source.system in ("webcrm", "membercare")]
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
