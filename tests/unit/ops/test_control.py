"""``tether pause`` and ``tether resume``: the states they write, what they print."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.errors import ConfigurationError
from engine.control import FlowState
from ops.cli import build_parser
from ops.control import (
    check_flows,
    pausing,
    render_change,
    render_paused,
    resuming,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ORGS = "webcrm-organisations-to-customcrm-customer"


def tripped(flow: str = ORGS) -> dict[str, object]:
    state = FlowState(
        flow=flow,
        paused=True,
        reason="re-creates: 6 in 600s against 60 links",
        by="breaker",
        tripped="creates",
        since=NOW,
    )
    return state.model_dump(mode="json")


def test_resume_clears_the_pause_and_gives_the_tripped_counter_grace() -> None:
    [state], not_paused = resuming({ORGS: tripped()}, [ORGS], 600, NOW)
    assert not_paused == []
    assert (state.paused, state.by, state.resumed_at) == (False, "operator", NOW)
    assert state.tripped == "creates"  # workers restart that counter's window
    assert state.grace == {"creates": NOW + timedelta(seconds=600)}
    assert state.in_grace("creates", NOW + timedelta(seconds=599))
    assert not state.in_grace("creates", NOW + timedelta(seconds=600))
    assert not state.in_grace("unlinks", NOW)
    assert "its creates go on unchecked until 2024-05-01 12:10:00" in render_change(
        state
    )


def test_resume_without_grace_and_of_a_running_flow() -> None:
    [state], _ = resuming({ORGS: tripped()}, [ORGS], 0, NOW)
    assert state.grace == {}
    changes, not_paused = resuming({}, [ORGS], 600, NOW)
    assert (changes, not_paused) == ([], [ORGS])


def test_graces_still_running_are_kept_by_later_pauses_and_resumes() -> None:
    [resumed], _ = resuming({ORGS: tripped()}, [ORGS], 600, NOW)
    later = NOW + timedelta(seconds=60)
    paused = FlowState(
        flow=ORGS, paused=True, by="breaker", tripped="unlinks", since=later,
        grace=resumed.graces(later),
    )  # fmt: skip
    [again], _ = resuming({ORGS: paused.model_dump(mode="json")}, [ORGS], 600, later)
    assert again.grace == {
        "creates": NOW + timedelta(seconds=600),
        "unlinks": later + timedelta(seconds=600),
    }
    assert again.graces(NOW + timedelta(seconds=601)) == {
        "unlinks": later + timedelta(seconds=600)
    }
    [hand], _ = pausing({ORGS: again.model_dump(mode="json")}, [ORGS], "", later)
    assert "unlinks" in hand.grace


def test_pause_by_an_operator_names_the_reason() -> None:
    [state], already = pausing({}, [ORGS], "target migration")
    assert (state.paused, state.by, already) == (True, "operator", [])
    assert state.reason == "paused by an operator: target migration"
    assert pausing({ORGS: tripped()}, [ORGS], "") == ([], [ORGS])


def test_the_paused_flows_are_listed_with_why() -> None:
    text = render_paused({ORGS: tripped(), "other": None})
    assert "FLOW" in text
    assert ORGS in text
    assert "breaker" in text
    assert "re-creates: 6 in 600s" in text
    assert "`tether resume FLOW`" in text
    assert render_paused({}) == "no flow is paused\n"


def test_unknown_flows_are_refused_naming_the_known() -> None:
    with pytest.raises(ConfigurationError, match="unknown flow.*nosuch; known: a, b"):
        check_flows(["a", "nosuch"], ["b", "a"])


def test_the_commands_parse() -> None:
    args = build_parser().parse_args(["resume", ORGS, "--grace", "0"])
    assert (args.flows, args.grace, args.all) == ([ORGS], 0.0, False)
    args = build_parser().parse_args(["resume"])
    assert (args.flows, args.grace) == ([], None)
    args = build_parser().parse_args(["pause", ORGS, "--reason", "why"])
    assert (args.flows, args.reason) == ([ORGS], "why")


def test_garbage_in_the_control_table_reads_as_running() -> None:
    garbage = {ORGS: {"paused": "maybe"}}
    assert render_paused(garbage) == "no flow is paused\n"
    assert resuming(garbage, [ORGS], 600, NOW) == ([], [ORGS])
