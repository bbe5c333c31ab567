"""A message its workers keep dying on is recognised and skipped, nothing else."""

from __future__ import annotations

from typing import Any

from engine.poison import PoisonGuard, Verdict
from schemas.envelope import DeadLetter
from tests.unit.engine.test_handlers import ORG
from tests.unit.engine.test_runner import Rig


class Partition:
    """One partition's durable store, surviving the guards (workers) that use it."""

    def __init__(self) -> None:
        self.store: dict[str, Any] = {}
        self.flushes = 0

    async def flush(self) -> None:
        self.flushes += 1

    def worker(self, max_strikes: int = 3) -> PoisonGuard:
        return PoisonGuard(self.store, self.flush, max_strikes=max_strikes)


async def _run(guard: PoisonGuard, offsets: range | list[int]) -> list[bool]:
    """Whether each offset is handled (not poison), admitted in order."""
    verdicts = await _verdicts(guard, offsets)
    return [verdict is not Verdict.POISON for verdict in verdicts]


async def _verdicts(guard: PoisonGuard, offsets: range | list[int]) -> list[Verdict]:
    return [await guard.admit("t", 0, offset) for offset in offsets]


def _marker(part: Partition) -> dict[str, Any]:
    return part.store["__in_hand__t"]


async def test_a_clean_run_admits_everything_without_flushing():
    part = Partition()
    assert await _run(part.worker(), range(10)) == [True] * 10
    assert part.flushes == 0


async def test_three_stops_at_one_offset_make_it_poison_and_the_next_one_flows():
    part = Partition()
    await _run(part.worker(), range(6))  # dies with 3..5 in hand: which one?
    for _ in range(3):  # restarted from the last commit (3), dies at 5, alone
        assert await _run(part.worker(), range(3, 6)) == [True, True, True]
    assert await _run(part.worker(), range(3, 7)) == [True, True, False, True]
    assert _marker(part)["suspect"] is None  # 6 went fine


async def test_one_stop_then_progress_forgets_the_suspect():
    part = Partition()
    await _run(part.worker(), range(6))  # killed at 5 (say, by an operator)
    assert await _run(part.worker(), range(3, 9)) == [True] * 6
    # Later stops at other offsets start counting afresh.
    await _run(part.worker(), [9])
    assert await _run(part.worker(), [9, 10]) == [True, True]
    assert (_marker(part)["suspect"], _marker(part)["strikes"]) == (None, 0)


async def test_a_start_after_the_last_offset_in_hand_is_no_strike():
    part = Partition()
    guard = part.worker()
    await _run(guard, range(6))  # stopped cleanly, committed 6
    guard.settled("t", 0, 5)  # everything received was done
    assert await _run(part.worker(), range(6, 9)) == [True] * 3
    assert part.flushes == 0


async def test_a_revoked_partition_given_back_counts_a_stop_again():
    part = Partition()
    guard = part.worker()
    await _run(guard, range(6))
    for _ in range(3):
        guard.forget(0)
        await _run(guard, range(3, 6))
    guard.forget(0)
    assert await _run(guard, range(3, 6)) == [True, True, False]


async def test_the_runner_dead_letters_a_poison_message_unhandled():
    rig = Rig()
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_poison("1", event, ("t", 0, 7))
    [letter] = rig.letters
    assert isinstance(letter, DeadLetter)
    assert (letter.stage, letter.record_id, letter.offset) == ("poison", "1", 7)
    assert not rig.world.customcrm.writes


async def test_many_in_hand_the_marker_is_written_ahead_not_per_message():
    part = Partition()
    guard = PoisonGuard(part.store, part.flush, reserve=100)
    writes = 0

    class Counting(dict[str, Any]):
        def __setitem__(self, key: str, value: Any) -> None:
            nonlocal writes
            writes += 1
            super().__setitem__(key, value)

    guard.store = Counting()
    assert await _verdicts(guard, range(250)) == [Verdict.RUN] * 250
    assert writes == 3  # at 0, 101 and 202: one write per reserve
    assert part.flushes == 0


async def test_a_stop_with_many_in_hand_makes_each_suspect_run_alone_durably():
    part = Partition()
    guard = PoisonGuard(part.store, part.flush, reserve=10)
    await _run(guard, range(6))  # stopped with some of 3..5 in hand, reserve to 10
    successor = PoisonGuard(part.store, part.flush, reserve=10)
    # Suspects (3..10, which may include offsets not delivered yet) run alone.
    assert (
        await _verdicts(successor, range(3, 13))
        == [Verdict.ALONE] * 8 + [Verdict.RUN] * 2
    )
    assert part.flushes == 8  # each suspect's marker was durable before it ran


async def test_a_stop_while_a_suspect_runs_alone_names_that_offset():
    part = Partition()
    await _run(PoisonGuard(part.store, part.flush, reserve=10), range(6))
    second = PoisonGuard(part.store, part.flush, reserve=10)
    await _run(second, [3, 4])  # stops handling 4, alone
    assert _marker(part)["at"] == 4
    third = PoisonGuard(part.store, part.flush, reserve=10)
    # Only 4 is suspect now (one more strike); 3 before it still runs alone.
    assert await _verdicts(third, [3, 4, 5]) == [
        Verdict.ALONE,
        Verdict.ALONE,
        Verdict.RUN,
    ]
    assert (_marker(part)["suspect"], _marker(part)["strikes"]) == (None, 0)


async def test_markers_of_the_two_inbound_topics_are_kept_apart():
    part = Partition()
    guard = part.worker()
    await guard.admit("source", 0, 50)
    guard.settled("source", 0, 50)  # all of the source topic done
    await guard.admit("from-target", 0, 3)  # stopped with this in hand
    successor = part.worker()
    assert await successor.admit("source", 0, 51) is Verdict.RUN
    assert await successor.admit("from-target", 0, 3) is Verdict.ALONE


async def test_a_settled_partition_is_written_back_at_most_once_a_second():
    part = Partition()
    now = [0.0]
    guard = PoisonGuard(part.store, part.flush, reserve=10, clock=lambda: now[0])
    writes = []
    for offset in range(5):  # each message alone in flight: settles after each
        await guard.admit("t", 0, offset)
        guard.settled("t", 0, offset)
        writes.append(_marker(part)["at"])
    assert writes == [0, 11, 11, 11, 11]  # one set-back, then one reserve write
    now[0] = 1.5
    guard.settled("t", 0, 4)
    assert _marker(part)["at"] == 4
