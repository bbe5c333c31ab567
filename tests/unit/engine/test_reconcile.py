"""Per-property merge: one-sided changes flow, conflicts follow DESIGN.md rule 5."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.reconcile import SideState, reconcile
from schemas.envelope import Side

T = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def side(values, seconds):
    return SideState(values, T + timedelta(seconds=seconds))


def test_equal_values_need_no_write():
    d = reconcile(["a"], {"a": "x"}, side({"a": "x"}, 0), side({"a": "x"}, 5))
    assert not d.to_target
    assert not d.to_source
    assert not d.conflicts


def test_a_change_on_one_side_flows_to_the_other():
    d = reconcile(
        ["a", "b"],
        {"a": "x", "b": "y"},
        side({"a": "new", "b": "y"}, 9),
        side({"a": "x", "b": "y2"}, 1),
    )
    assert d.to_target == {"a": "new"}
    assert d.to_source == {"b": "y2"}
    assert d.conflicts == []
    assert d.synced == {"a": "new", "b": "y2"}


def test_both_changed_later_change_wins_and_loser_is_recorded():
    d = reconcile(["a"], {"a": "old"}, side({"a": "S"}, 1), side({"a": "T"}, 10))
    assert d.to_source == {"a": "T"}
    assert not d.to_target
    [c] = d.conflicts
    assert (c.winner, c.winning_value, c.overridden_value) == (Side.TARGET, "T", "S")


def test_tie_goes_to_the_source_side():
    d = reconcile(["a"], {"a": "old"}, side({"a": "S"}, 1), side({"a": "T"}, 1.5))
    assert d.to_target == {"a": "S"}
    assert d.conflicts[0].rule.startswith("tie")


def test_non_empty_old_value_beats_new_empty_one():
    d = reconcile(["a"], {"a": "old"}, side({"a": "S"}, 1), side({"a": ""}, 100))
    assert d.to_target == {"a": "S"}
    assert d.conflicts[0].rule == "non-empty beats empty"


def test_a_deliberate_clear_on_one_side_still_flows():
    d = reconcile(["a"], {"a": "old"}, side({"a": ""}, 5), side({"a": "old"}, 1))
    assert d.to_target == {"a": ""}
    assert d.conflicts == []


def test_first_match_without_history_uses_modification_times():
    d = reconcile(["a"], {}, side({"a": "S"}, 50), side({"a": "T"}, 1))
    assert d.to_target == {"a": "S"}
    assert len(d.conflicts) == 1
