"""Deciding, per property, which side's value wins (DESIGN.md rules 2, 4 and 5).

Pure functions: given what both sides hold now and what they last agreed on,
say what to write where and which values were overridden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.mapping import is_empty
from schemas.envelope import Side

_NOTHING = object()


@dataclass(frozen=True)
class SideState:
    """One side's mapped values (canonical) and its own modification time (UTC)."""

    values: dict[str, Any]
    modified_at: datetime | None


@dataclass(frozen=True)
class Overridden:
    """A property both sides changed: the value that won and the one that lost."""

    key: str
    winner: Side
    winning_value: Any
    overridden_value: Any
    rule: str


@dataclass
class Decision:
    """What to write to each side, the new agreed values, and the conflicts."""

    to_target: dict[str, Any] = field(default_factory=dict)
    to_source: dict[str, Any] = field(default_factory=dict)
    synced: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Overridden] = field(default_factory=list)


def _winner(
    source: SideState, target: SideState, key: str, tie_window: timedelta
) -> tuple[Side, str]:
    s_value, t_value = source.values.get(key), target.values.get(key)
    # A non-empty value beats an empty one whatever the clocks say: clearing a field
    # by accident on one side must not wipe data the other side still has.
    if is_empty(s_value) and not is_empty(t_value):
        return Side.TARGET, "non-empty beats empty"
    if is_empty(t_value) and not is_empty(s_value):
        return Side.SOURCE, "non-empty beats empty"
    if source.modified_at is None or target.modified_at is None:
        return Side.SOURCE, "no modification time: source side wins"
    if target.modified_at - source.modified_at > tie_window:
        return Side.TARGET, "later change wins"
    if source.modified_at - target.modified_at > tie_window:
        return Side.SOURCE, "later change wins"
    return Side.SOURCE, "tie: source side wins"


def reconcile(
    keys: list[str],
    synced: dict[str, Any],
    source: SideState,
    target: SideState,
    *,
    tie_window: timedelta = timedelta(seconds=1),
) -> Decision:
    """Merge both sides property by property against the last agreed ``synced``.

    A property changed on one side only flows to the other; changed on both to
    different values, the later change wins (ties to the source side), except
    that a non-empty value beats an empty one. Equal values need no write.
    """
    decision = Decision()
    for key in keys:
        s_value, t_value = source.values.get(key), target.values.get(key)
        if s_value == t_value:
            decision.synced[key] = s_value
            continue
        base = synced.get(key, _NOTHING)
        s_changed = base is _NOTHING or s_value != base
        t_changed = base is _NOTHING or t_value != base
        if s_changed and not t_changed:
            winner, rule = Side.SOURCE, ""
        elif t_changed and not s_changed:
            winner, rule = Side.TARGET, ""
        else:
            winner, rule = _winner(source, target, key, tie_window)
        if winner is Side.SOURCE:
            decision.to_target[key] = s_value
            decision.synced[key] = s_value
            lost = t_value
        else:
            decision.to_source[key] = t_value
            decision.synced[key] = t_value
            lost = s_value
        if rule:
            won = s_value if winner is Side.SOURCE else t_value
            decision.conflicts.append(Overridden(key, winner, won, lost, rule))
    return decision
