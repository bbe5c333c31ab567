"""A message its workers keep dying on is recognised and skipped, nothing else."""

from __future__ import annotations

from typing import Any

from engine.poison import PoisonGuard
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
    return [await guard.admit(0, offset) for offset in offsets]


async def test_a_clean_run_admits_everything_without_flushing():
    part = Partition()
    assert await _run(part.worker(), range(10)) == [True] * 10
    assert part.flushes == 0


async def test_three_stops_at_one_offset_make_it_poison_and_the_next_one_flows():
    part = Partition()
    await _run(part.worker(), range(6))  # dies while handling 5
    for _ in range(2):  # restarted from the last commit (3), dies at 5 again
        assert await _run(part.worker(), range(3, 6)) == [True, True, True]
    assert await _run(part.worker(), range(3, 7)) == [True, True, False, True]
    assert part.store["__in_hand__"]["suspect"] is None  # 6 went fine


async def test_one_stop_then_progress_forgets_the_suspect():
    part = Partition()
    await _run(part.worker(), range(6))  # killed at 5 (say, by an operator)
    assert await _run(part.worker(), range(3, 9)) == [True] * 6
    # Later stops at other offsets start counting afresh.
    await _run(part.worker(), [9])
    assert await _run(part.worker(), [9, 10]) == [True, True]
    assert part.store["__in_hand__"] == {"at": 10, "suspect": None, "strikes": 0}


async def test_a_start_after_the_last_offset_in_hand_is_no_strike():
    part = Partition()
    await _run(part.worker(), range(6))  # stopped cleanly, committed 6
    assert await _run(part.worker(), range(6, 9)) == [True] * 3
    assert part.flushes == 0


async def test_a_revoked_partition_given_back_counts_a_stop_again():
    part = Partition()
    guard = part.worker()
    await _run(guard, range(6))
    guard.forget(0)
    await _run(guard, range(3, 6))
    guard.forget(0)
    await _run(guard, range(3, 6))
    guard.forget(0)
    assert await _run(guard, range(3, 6)) == [True, True, False]


async def test_the_runner_dead_letters_a_poison_message_unhandled():
    rig = Rig()
    part = Partition()
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    for _ in range(3):  # three workers died handling offset 7
        rig.runner.poison = part.worker()
        await rig.runner.poison.admit(0, 7)
    rig.runner.poison = part.worker()
    await rig.runner.on_change("1", event, ("t", 0, 7))
    [letter] = rig.letters
    assert isinstance(letter, DeadLetter)
    assert (letter.stage, letter.record_id, letter.offset) == ("poison", "1", 7)
    assert not rig.world.customcrm.writes
