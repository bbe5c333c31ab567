"""A deployment's status from hand-made snapshots, system statuses and counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dataflows import flows_by_name, load_documents
from engine.control import FlowState
from ops.deadletters import redriven_topic
from schemas.envelope import DeadLetter
from schemas.observe import (
    DeploymentStatus,
    FlowActivity,
    FlowRunState,
    PollActivity,
    WorkerSnapshot,
)
from schemas.status import SystemState, SystemStatus
from streams.observe.flowview import Observed, deployment_view, flow_status
from streams.observe.fresh import chosen, rate
from streams.observe.tally import (
    REDRIVEN_SUFFIX,
    DeadLetters,
    FlowCounts,
    Latest,
    LinkCount,
    Workers,
)
from streams.topics import TopicNames

FLOWS = flows_by_name(load_documents())
ORGS = FLOWS["webcrm-organisations-to-customcrm-customer"]
COMPANIES = FLOWS["membercare-companies-to-customwebshop-customer"]
COUNTRIES = FLOWS["crmoffice-companies-to-membercare-countries"]
NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
STALE = timedelta(seconds=15)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def snapshot(
    worker: str,
    at: datetime,
    *,
    started: datetime | None = None,
    stopping: bool = False,
    polls: list[PollActivity] | None = None,
    **flows: FlowActivity,
) -> WorkerSnapshot:
    return WorkerSnapshot(
        worker=worker,
        started_at=started or ago(600),
        at=at,
        flows={name.replace("_", "-"): a for name, a in flows.items()},
        polls=polls or [],
        stopping=stopping,
    )


def orgs(**counts: Any) -> dict[str, FlowActivity]:
    return {ORGS.name.replace("-", "_"): FlowActivity(**counts)}


def failing(system: str, reason: str = "401: credentials refused") -> SystemStatus:
    return SystemStatus(
        system=system, state=SystemState.FAILING, reason=reason, since=ago(60)
    )


def observe(**parts: Any) -> Observed:
    return Observed(app_id="app", at=NOW, **parts)


# -- state ---------------------------------------------------------------------


def test_a_flow_touching_a_failing_system_fails_with_its_reason_others_run():
    status = deployment_view(
        observe(systems={"webcrm": failing("webcrm")}), [ORGS, COMPANIES]
    )
    by_flow = {f.flow: f for f in status.flows}
    failed = by_flow[ORGS.name]
    assert failed.state is FlowRunState.FAILING
    assert failed.reason == "webcrm failing: 401: credentials refused"
    assert failed.since == ago(60)
    assert by_flow[COMPANIES.name].state is FlowRunState.RUNNING
    assert by_flow[COMPANIES.name].reason == ""
    assert status.ok is False


def test_a_failing_target_fails_the_flow_too():
    shown = flow_status(observe(systems={"customcrm": failing("customcrm")}), ORGS)
    assert shown.state is FlowRunState.FAILING
    assert shown.reason.startswith("customcrm failing: ")


def test_a_paused_flow_is_paused_with_its_reason_and_the_deployment_is_ok():
    paused = FlowState(flow=ORGS.name, paused=True, reason="creates 50 > 40", since=NOW)
    status = deployment_view(observe(control={ORGS.name: paused}), [ORGS])
    [shown] = status.flows
    assert (shown.state, shown.reason, shown.since) == (
        FlowRunState.PAUSED,
        "creates 50 > 40",
        NOW,
    )
    assert status.ok is True


def test_failing_wins_over_paused_and_names_the_pause():
    paused = FlowState(flow=ORGS.name, paused=True, reason="by hand", since=NOW)
    shown = flow_status(
        observe(systems={"webcrm": failing("webcrm")}, control={ORGS.name: paused}),
        ORGS,
    )
    assert shown.state is FlowRunState.FAILING
    assert shown.reason.endswith("; paused too: by hand")


def test_a_resumed_flow_runs_since_its_resume():
    resumed = FlowState(flow=ORGS.name, paused=False, reason="resumed", since=NOW)
    shown = flow_status(observe(control={ORGS.name: resumed}), ORGS)
    assert (shown.state, shown.reason, shown.since) == (FlowRunState.RUNNING, "", NOW)
    never = flow_status(observe(), ORGS)
    assert never.since is None


def test_a_system_answering_again_no_longer_fails_its_flows():
    ok = failing("webcrm").model_copy(update={"state": SystemState.OK})
    assert flow_status(observe(systems={"webcrm": ok}), ORGS).state == "running"


# -- snapshots -------------------------------------------------------------------


def test_fresh_workers_are_summed_and_a_stale_one_left_out():
    one = snapshot(
        "a",
        ago(2),
        **orgs(events_in=5, events_out=4, writes=3, links=10, pending_references=1,
               last_write_at=ago(30)),
    )  # fmt: skip
    two = snapshot(
        "b",
        ago(6),
        **orgs(events_in=1, events_out=1, writes=1, links=7, last_write_at=ago(10)),
    )
    gone = snapshot("c", ago(40), **orgs(events_in=100, links=100))
    counted = chosen([one, two, gone], NOW, STALE)
    assert [s.worker for s in counted] == ["a", "b"]
    shown = flow_status(observe(counted=counted, table_links={ORGS.name: 99}), ORGS)
    assert (shown.events_in, shown.events_out, shown.writes) == (6, 5, 4)
    assert (shown.links, shown.pending_references) == (17, 1)
    assert shown.last_write_at == ago(10)


def test_without_a_fresh_worker_the_last_ones_that_ran_count():
    last = snapshot("a", ago(600), **orgs(links=3))
    beside = snapshot("b", ago(605), **orgs(links=4))
    earlier = snapshot("c", ago(3600), **orgs(links=50))
    counted = chosen([last, beside, earlier], NOW, STALE)
    assert [s.worker for s in counted] == ["a", "b"]
    assert flow_status(observe(counted=counted), ORGS).links == 7


def test_a_stopping_worker_counts_only_when_no_running_one_is_left():
    leaving = snapshot("a", ago(1), stopping=True, **orgs(links=5))
    staying = snapshot("b", ago(2), **orgs(links=6))
    assert [s.worker for s in chosen([leaving, staying], NOW, STALE)] == ["b"]
    assert [s.worker for s in chosen([leaving], NOW, STALE)] == ["a"]
    assert chosen([], NOW, STALE) == []


def test_links_come_from_the_link_table_when_no_snapshot_reports_the_flow():
    other = snapshot("a", ago(1), x=FlowActivity(links=1))
    shown = flow_status(observe(counted=[other], table_links={ORGS.name: 12}), ORGS)
    assert (shown.links, shown.events_out, shown.last_write_at) == (12, 0, None)


def test_the_last_poll_is_the_oldest_of_the_flows_types_last_polls():
    polls = [
        PollActivity(system="webcrm", entity="Organisations", last_poll_at=ago(3),
                     first_read_done=True),
        PollActivity(system="customcrm", entity="Customer", last_poll_at=ago(9),
                     first_read_done=True),
        PollActivity(system="webcrm", entity="Persons", last_poll_at=ago(1)),
    ]  # fmt: skip
    leader = snapshot("a", ago(1), polls=polls, **orgs(events_out=10))
    shown = flow_status(observe(counted=[leader]), ORGS)
    assert shown.last_poll_at == ago(9)
    assert shown.first_sync.done is True
    only_source = snapshot("a", ago(1), polls=polls[:1], **orgs())
    half = flow_status(observe(counted=[only_source]), ORGS)
    assert (half.last_poll_at, half.first_sync.done) == (None, False)


def test_a_value_keyed_flows_targets_are_not_polled_so_not_waited_for():
    polls = [
        PollActivity(system="crmoffice", entity="Companies", last_poll_at=ago(4),
                     first_read_done=True),
    ]  # fmt: skip
    leader = snapshot("a", ago(1), polls=polls)
    shown = flow_status(observe(counted=[leader]), COUNTRIES)
    assert (shown.last_poll_at, shown.first_sync.done) == (ago(4), True)


def test_the_first_sync_runs_until_every_type_was_read_and_nothing_lags():
    polls = [
        PollActivity(system="webcrm", entity="Organisations", first_read_done=True),
        PollActivity(system="customcrm", entity="Customer", first_read_done=False),
    ]
    before = snapshot("a", ago(11), polls=polls, **orgs(events_out=100))
    latest = snapshot("a", ago(1), polls=polls, **orgs(events_out=300))
    workers = Workers()
    workers.add([before, latest])
    shown = flow_status(
        observe(
            counted=[latest],
            latest=workers.latest,
            before=workers.before,
            lag={ORGS.name: 400},
        ),
        ORGS,
    )
    sync = shown.first_sync
    assert (sync.done, sync.handled, sync.remaining) == (False, 300, 400)
    assert sync.rate_per_second == 20.0  # 200 events in 10 s
    assert sync.eta_seconds == 20.0
    done = [p.model_copy(update={"first_read_done": True}) for p in polls]
    finished = snapshot("a", ago(1), polls=done, **orgs(events_out=700))
    lagging = flow_status(observe(counted=[finished], lag={ORGS.name: 3}), ORGS)
    assert lagging.first_sync.done is False
    reading = flow_status(observe(counted=[before]), ORGS)
    assert (reading.first_sync.done, reading.first_sync.eta_seconds) == (False, None)
    synced = flow_status(observe(counted=[finished]), ORGS)
    assert (synced.first_sync.done, synced.first_sync.eta_seconds) == (True, 0.0)


def test_without_snapshots_a_flow_with_no_lag_is_synced_and_shows_zeros():
    shown = flow_status(observe(), ORGS)
    assert shown.first_sync.done is True
    assert (shown.events_out, shown.links, shown.pending_references) == (0, 0, 0)
    assert (shown.last_poll_at, shown.last_write_at) == (None, None)
    behind = flow_status(observe(lag={ORGS.name: 5}), ORGS)
    assert behind.first_sync.done is False
    assert behind.first_sync.eta_seconds is None  # no rate known


def test_the_rate_of_a_restarted_worker_is_counted_since_it_started():
    before = snapshot("a", ago(20), started=ago(600), **orgs(events_out=500))
    latest = snapshot("a", ago(1), started=ago(11), **orgs(events_out=50))
    workers = Workers()
    workers.add([before, latest])
    assert rate(workers.latest, workers.before, [latest], ORGS.name) == 5.0


def test_a_late_older_snapshot_changes_nothing():
    workers = Workers()
    newer = snapshot("a", ago(1), **orgs(links=2))
    workers.add([newer, snapshot("a", ago(6), **orgs(links=1))])
    assert workers.latest["a"] == newer
    assert "a" not in workers.before
    workers("a", {"not": "a snapshot"})
    workers("a", None)
    assert workers.latest == {}


# -- counts ----------------------------------------------------------------------


def letter(flow: str | None, system: str = "webcrm", when: datetime = NOW) -> Any:
    return DeadLetter(
        system=system,
        entity="Organisations",
        record_id="7",
        reason="bad",
        stage="flow" if flow else "poll",
        error_type="RecordError",
        flow=flow,
        failed_at=when,
    ).model_dump(mode="json")


def test_dead_letters_outstanding_per_flow_and_redriven_ones_not():
    letters = DeadLetters()
    letters.letter("webcrm/Organisations/7#a", letter(ORGS.name))
    letters.letter("webcrm/Organisations/8#a", letter(ORGS.name))
    letters.letter("webcrm/Organisations/9#poll", letter(None))
    letters.letter("membercare/Companies/1#a", letter(COMPANIES.name, "membercare"))
    letters.letter("junk", {"not": "a letter"})
    letters.marker(
        "webcrm/Organisations/8#a", {"letter_failed_at": "2024-05-01T10:00:00Z"}
    )
    # A marker older than the letter: it failed again after its re-drive.
    letters.letter("webcrm/Organisations/10#a", letter(ORGS.name))
    letters.marker(
        "webcrm/Organisations/10#a", {"letter_failed_at": ago(5).isoformat()}
    )
    shown = deployment_view(
        observe(dead_letters=letters.outstanding()), [ORGS, COMPANIES]
    )
    counts = {f.flow: f.dead_letters for f in shown.flows}
    assert counts == {ORGS.name: 3, COMPANIES.name: 1}


def test_the_redriven_topic_is_the_one_tether_deadletters_writes():
    names = TopicNames("app")
    assert names.deadletters + REDRIVEN_SUFFIX == redriven_topic(names)


def test_conflicts_are_counted_per_flow():
    counts = FlowCounts()
    for value in ({"flow": "a"}, {"flow": "a"}, {"flow": "b"}, {"x": 1}, None, "?"):
        counts("key", value)
    assert counts.counts == {"a": 2, "b": 1}
    shown = flow_status(observe(conflicts={ORGS.name: 4}), ORGS)
    assert shown.conflicts == 4


def test_link_rows_count_and_tombstones_and_deletions_do_not():
    links = LinkCount()
    links('"1"', {"source_id": "1", "target_id": "a"})
    links('"2"', {"source_id": "2", "target_id": "b"})
    links('"3"', {"source_id": "3", "target_id": "c"})
    links('"2"', {"source_id": "2", "target_id": "b",
                  "target_deleted_at": "2024-05-01T10:00:00Z"})  # fmt: skip
    links('"3"', None)
    links(None, {"source_id": "4"})
    assert len(links) == 1


def test_latest_keeps_the_last_value_and_forgets_a_tombstone():
    latest = Latest()
    latest("a", 1)
    latest("a", 2)
    latest("b", 3)
    latest("b", None)
    latest(None, 4)
    assert latest.values == {"a": 2}


def test_the_status_is_json_that_parses_back():
    status = deployment_view(
        observe(systems={"webcrm": failing("webcrm")}), [ORGS, COMPANIES]
    )
    again = DeploymentStatus.model_validate_json(status.model_dump_json())
    assert again == status
    assert [w.worker for w in status.workers] == []
