"""The delivery guarantees (DESIGN.md rules 3, 4, 11, 13, 14) under deliberate faults.

One Webcrm <-> Customcrm deployment (organisations -> customers, persons ->
contacts referencing their customer, products -> products) on a broker of its
own goes through the phases below in order, with the stand-ins injecting 5xx,
hangs past the client timeout, 429s and lost write answers throughout. After
each phase every source entity has exactly one counterpart and one link to it,
every mapped property is equal, the last edit of each property won, no record
was deleted, nothing echoes (no write on the side an edit came from, no write
that changed nothing but the one retry of a lost answer) and the dead letters
hold exactly the bad inputs. Each problem counts under one of the must-be-zero
figures and fails the phase; ``test_harness`` shows every check firing. The
closing figures are printed at the end and written to ``chaos-figures.json``
in the run's folder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from devkit.broker import EmbeddedBroker
from tests.integration.chaos import checks, kafka_ops
from tests.integration.chaos.figures import FIGURES, MUST_BE_ZERO, PhaseFigures
from tests.integration.chaos.run import ChaosRun, Profile
from tests.integration.chaos.secrets import scan_for_secrets

# Phases of the soak profile may each take longer than the suite's 600 s default.
pytestmark = [pytest.mark.chaos, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def chaos(
    chaos_broker: EmbeddedBroker,
    profile: Profile,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[ChaosRun]:
    """The run, shared by the phases; prints the closing figures at the end."""
    home = tmp_path_factory.mktemp("chaos")
    run = ChaosRun(chaos_broker.bootstrap, chaos_broker, home, profile)
    run.open()
    try:
        yield run
    finally:
        run.close()
        run.figures.write(home / "chaos-figures.json")
        shown = request.config.stash.setdefault(FIGURES, [])
        shown += [*run.figures.lines(), f"  figures: {home / 'chaos-figures.json'}"]


def assert_guarantees(run: ChaosRun, phase: PhaseFigures) -> None:
    """Every must-be-zero count of the phase is zero; else show what broke."""
    checks.assert_guarantees(phase, run.problems, run.tails)


def test_initial_sync_survives_a_sigkill_under_http_faults(chaos: ChaosRun) -> None:
    run = chaos
    with run.phase("initial sync, SIGKILL"):
        run.seed()
        run.http_faults(True)
        run.start_worker("w1")
        creates = run.rng.randint(15, 60)
        run.local.wait_for(
            lambda: len(run.customcrm.calls.applied("POST")) >= creates,
            timeout=180,
            what=f"{creates} creates",
        )
        run.kill_worker("w1")
        run.start_worker("w1")
        phase = run.converge(f"killed after {creates} creates")
        assert_guarantees(run, phase)
        assert phase.creates >= creates


def test_edit_storm_on_both_sides_survives_repeated_sigkills(chaos: ChaosRun) -> None:
    run = chaos
    profile = run.profile
    with run.phase(f"edit storm, {profile.kills} SIGKILLs"):
        per_kill = profile.phase_edits // (profile.kills + 1)
        for _ in range(profile.kills):
            run.storm.burst(run.rng.randint(per_kill // 2, per_kill))
            run.kill_worker("w1")
            # Both sides edit the same properties while no worker runs: the
            # later edit must win by the systems' clocks (conflict rule).
            run.storm.conflicts(profile.conflicts_per_kill)
            run.start_worker("w1")
            run.storm.burst(run.rng.randint(1, per_kill // 2))
        run.storm.burst(per_kill)
        assert_guarantees(run, run.converge())


def test_broker_stopped_and_restarted_mid_storm(chaos: ChaosRun) -> None:
    run = chaos
    with run.phase("broker restart"):
        edits = run.profile.phase_edits // 3
        run.storm.burst(edits)
        run.restart_broker(down_seconds=8.0, edits=edits)
        run.storm.burst(edits)
        assert_guarantees(run, run.converge())


def test_two_workers_share_the_work_and_one_is_killed(chaos: ChaosRun) -> None:
    run = chaos
    with run.phase("rebalance, SIGKILL of one of two workers"):
        run.start_worker("w2")
        run.local.wait_for(
            lambda: (
                asyncio.run(
                    kafka_ops.group_members(run.local.bootstrap, run.local.app_id)
                )
                == 2
            ),
            timeout=120,
            what="both workers in the consumer group",
        )
        edits = run.profile.phase_edits // 2
        run.storm.burst(edits)
        run.kill_worker("w1")
        run.figures.rebalances += 1
        run.storm.burst(edits)
        assert_guarantees(run, run.converge())


def test_replay_from_the_earliest_offsets_writes_nothing(chaos: ChaosRun) -> None:
    run = chaos
    with run.phase("replay from earliest offsets"):
        run.stop_worker("w2")
        replayed = asyncio.run(
            kafka_ops.reset_to_earliest(run.local.bootstrap, run.local.app_id)
        )
        run.figures.replays += 1
        run.start_worker("w1")
        run.local.wait_for(
            lambda: (
                asyncio.run(kafka_ops.lag(run.local.bootstrap, run.local.app_id)) == 0
            ),
            timeout=run.profile.converge_timeout,
            what="the replay to be consumed",
        )
        phase = run.converge(f"{replayed} messages replayed")
        assert_guarantees(run, phase)
        assert replayed > run.figures.entities
        assert (phase.writes_webcrm, phase.writes_customcrm, phase.creates) == (0, 0, 0)


def test_wiped_local_state_is_restored_from_the_changelogs(chaos: ChaosRun) -> None:
    run = chaos
    with run.phase("local state wiped"):
        run.stop_worker("w1")
        run.wipe_state()
        run.figures.state_wipes += 1
        run.start_worker("w1")
        run.storm.burst(run.profile.phase_edits // 2)
        phase = run.converge()
        assert_guarantees(run, phase)
        assert phase.creates == 0


def test_lost_link_topics_are_rebuilt_by_matching(chaos: ChaosRun) -> None:
    run = chaos
    with run.phase("link topics and state lost, rebuilt by matching"):
        run.stop_worker("w1")
        lost = run.lose_link_topics()
        run.figures.link_topic_losses += 1
        run.start_worker("w1")
        rebuilt = run.converge(f"{len(lost)} topics deleted")
        assert_guarantees(run, rebuilt)
        assert (rebuilt.writes_webcrm, rebuilt.writes_customcrm) == (0, 0)
        assert rebuilt.creates == 0
    with run.phase("edits after the rebuild"):
        run.storm.burst(run.profile.phase_edits // 2)
        assert_guarantees(run, run.converge())


def test_no_credential_appears_in_any_log_topic_or_dead_letter(chaos: ChaosRun) -> None:
    found = scan_for_secrets(chaos)
    assert found.scanned_lines > 1000
    assert found.scanned_messages > chaos.figures.entities
    assert found.hits == []


def test_closing_figures(chaos: ChaosRun) -> None:
    run = chaos
    run.collect_faults()
    figures = run.figures
    assert figures.totals() == dict.fromkeys(MUST_BE_ZERO, 0)
    assert figures.crashes_survived >= 5
    assert figures.broker_restarts >= 1
    kinds = {kind.split()[-1] for kind in figures.faults_injected}
    assert {"5xx", "timeout", "429", "lost-response"} <= kinds
    assert figures.conflicts >= run.profile.kills * run.profile.conflicts_per_kill
