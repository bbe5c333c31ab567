"""Each worker learns how many share the rate limits: the consumer group's size."""

from __future__ import annotations

from typing import Any

from connectors.base.ratelimit import Deployment
from streams.membership import GroupWatcher, group_members


class Described:
    """A DescribeGroups answer as aiokafka hands it back."""

    def __init__(self, *groups: dict[str, Any]) -> None:
        self.groups = groups

    def to_object(self) -> dict[str, Any]:
        return {"groups": list(self.groups)}


def group(name: str, state: str, members: int, error: int = 0) -> dict[str, Any]:
    return {
        "error_code": error,
        "group": name,
        "state": state,
        "members": [{"member_id": f"m{i}"} for i in range(members)],
    }


def test_the_members_of_a_settled_group_are_counted() -> None:
    answer = [Described(group("other", "Stable", 5), group("tether", "Stable", 2))]
    assert group_members(answer, "tether") == 2


def test_a_rebalancing_unknown_or_failed_group_is_unknown() -> None:
    assert (
        group_members([Described(group("tether", "PreparingRebalance", 1))], "tether")
        is None
    )
    assert (
        group_members([Described(group("tether", "Stable", 3, error=16))], "tether")
        is None
    )
    assert group_members([Described()], "tether") is None


async def test_the_watcher_sets_the_size_and_keeps_it_while_unknown() -> None:
    answers: list[int | None] = [None, 3, None, None]

    async def describe() -> int | None:
        return answers.pop(0)

    deployment = Deployment()
    watcher = GroupWatcher(describe, deployment, attempts=2, pause=0.0)
    await watcher.refresh()  # unknown first, then three
    assert deployment.members == 3
    await watcher.refresh()  # unknown twice: the last size stays
    assert deployment.members == 3
    assert answers == []


async def test_an_empty_group_keeps_the_last_size() -> None:
    async def describe() -> int | None:
        return 0

    deployment = Deployment(members=2)
    await GroupWatcher(describe, deployment, attempts=1).refresh()
    assert deployment.members == 2
