"""The worker's Prometheus metrics, on a registry of their own (``GET /metrics``).

Every name starts with ``tether_`` (the README's Metrics section lists them):

- ``tether_events_in_total{flow}``: changes a flow's agent took in (source
  changes, and target changes routed to it by their source id).
- ``tether_events_out_total{flow,result}``: what became of them; ``result`` is
  ``written`` (a system was written), ``linked`` (a link made or changed, no
  write), ``unlinked`` (a link removed or its target gone), ``unchanged``
  (nothing to do: seen already or values agree),
  ``skipped`` (no link and none made: unmatched, ambiguous, kept deleted),
  ``parked`` (waiting for a reference) or ``dead_letter``.
- ``tether_writes_total{system,type,op,outcome}``: writes to a system; ``op``
  create/update/delete, ``outcome`` ok, refused (the system said no to the
  record) or error (anything else: timeouts, outages).
- ``tether_creates_total{flow}``, ``tether_matches_total{flow}``,
  ``tether_conflicts_total{flow}``: records created, linked by natural key,
  and properties both sides changed.
- ``tether_dead_letters_total{stage,system,flow}``: dead letters by stage
  (source, check, decode, flow, poison), the record's system and its flow
  (empty for a source's bad record, which no flow took).
- ``tether_retries_total{system}``: a record's change tried again in place.
- ``tether_rate_limit_waits_total{system}``,
  ``tether_rate_limit_wait_seconds_total{system}``: requests that waited for
  the client-side rate limiter (or a 429's pause), and for how long.
- ``tether_consumer_lag{flow}``: messages behind on the flow's input topics,
  in the partitions this worker holds.
- ``tether_cursor_age_seconds{system,type}``: seconds since the newest
  modification time a polled type published (its cursor).
- ``tether_change_to_write_seconds{flow}`` (histogram): a change's
  modification time in its own system to the acknowledgement of the write it
  caused.
- ``tether_links{flow}``, ``tether_pending_references{flow}``: links in this
  worker's partitions (RocksDB's estimate), changes parked for a reference.
- ``tether_flow_paused{flow}``, ``tether_system_up{system}``: 1 or 0, from the
  control table and the systems' probes.
- ``tether_write_records_dropped_total``: write records (``{app}.writes``)
  lost because the broker did not take them (the flows never wait for them).

The engine calls the plain functions below; nothing here knows faust.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from connectors.base.ratelimit import limiter_totals
from engine.activity import WorkerActivity
from schemas.utc import utc_now

REGISTRY = CollectorRegistry()
"""Every tether metric; the worker's web server exposes it at ``/metrics``."""

ACTIVITY = WorkerActivity()
"""This worker's counters for ``{app}.workers`` (``streams.snapshots``)."""

EVENTS_IN = Counter(
    "tether_events_in", "Changes a flow took in", ["flow"], registry=REGISTRY
)
EVENTS_OUT = Counter(
    "tether_events_out",
    "Changes a flow finished, by what became of them",
    ["flow", "result"],
    registry=REGISTRY,
)
WRITES = Counter(
    "tether_writes",
    "Writes to a system",
    ["system", "type", "op", "outcome"],
    registry=REGISTRY,
)
CREATES = Counter("tether_creates", "Records created", ["flow"], registry=REGISTRY)
MATCHES = Counter(
    "tether_matches", "Records linked by natural key", ["flow"], registry=REGISTRY
)
CONFLICTS = Counter(
    "tether_conflicts", "Properties both sides changed", ["flow"], registry=REGISTRY
)
DEAD_LETTERS = Counter(
    "tether_dead_letters",
    "Dead letters",
    ["stage", "system", "flow"],
    registry=REGISTRY,
)
RETRIES = Counter(
    "tether_retries", "Changes tried again in place", ["system"], registry=REGISTRY
)
LAG = Gauge(
    "tether_consumer_lag",
    "Messages behind on a flow's input topics (this worker's partitions)",
    ["flow"],
    registry=REGISTRY,
)
LINKS = Gauge(
    "tether_links", "Links in this worker's partitions", ["flow"], registry=REGISTRY
)
PENDING = Gauge(
    "tether_pending_references",
    "Changes parked until a record they refer to is linked",
    ["flow"],
    registry=REGISTRY,
)
CHANGE_TO_WRITE = Histogram(
    "tether_change_to_write_seconds",
    "A change's modification time to the acknowledgement of its write",
    ["flow"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 21600, 86400),
    registry=REGISTRY,
)
RECORDS_DROPPED = Counter(
    "tether_write_records_dropped",
    "Write records the broker did not take",
    registry=REGISTRY,
)

WRITE_OUTCOMES = ("ok", "refused", "error")
RESULTS = (
    "written",
    "linked",
    "unlinked",
    "unchanged",
    "skipped",
    "parked",
    "dead_letter",
)


def declare(flows: Iterable[str]) -> None:
    """Every flow's counters and gauges, at 0 before anything happened."""
    for flow in flows:
        for metric in (EVENTS_IN, CREATES, MATCHES, CONFLICTS, LAG, LINKS, PENDING):
            metric.labels(flow)
        CHANGE_TO_WRITE.labels(flow)
        ACTIVITY.flow(flow)


def event_in(flow: str) -> None:
    """A flow took in a change."""
    EVENTS_IN.labels(flow).inc()
    ACTIVITY.flow(flow).events_in += 1


def event_out(flow: str, result: str) -> None:
    """A flow finished a change with ``result`` (one of ``RESULTS``)."""
    EVENTS_OUT.labels(flow, result).inc()
    ACTIVITY.flow(flow).events_out += 1


def write(
    flow: str,
    system: str,
    entity: str,
    op: str,
    outcome: str,
    *,
    changed_at: datetime | None = None,
    at: datetime | None = None,
) -> None:
    """A write to ``system`` ended with ``outcome`` (one of ``WRITE_OUTCOMES``).

    ``changed_at``: the modification time of the change that caused it, for
    the change-to-write latency of a write that went through (acknowledged
    ``at``).
    """
    WRITES.labels(system, entity, op, outcome).inc()
    if outcome != "ok":
        return
    activity = ACTIVITY.flow(flow)
    activity.writes += 1
    activity.last_write_at = at = at or utc_now()
    if op == "create":
        CREATES.labels(flow).inc()
        activity.creates += 1
    if changed_at is not None:
        CHANGE_TO_WRITE.labels(flow).observe(
            max(0.0, (at - changed_at).total_seconds())
        )


def matched(flow: str) -> None:
    """A flow linked a record to an existing one by natural key."""
    MATCHES.labels(flow).inc()
    ACTIVITY.flow(flow).matches += 1


def conflict(flow: str) -> None:
    """Both sides of a flow changed one property; one value was overridden."""
    CONFLICTS.labels(flow).inc()
    ACTIVITY.flow(flow).conflicts += 1


def dead_letter(stage: str, system: str, flow: str | None = None) -> None:
    """A dead letter of ``stage`` for a record of ``system`` (of ``flow``)."""
    DEAD_LETTERS.labels(stage, system, flow or "").inc()
    if flow:
        ACTIVITY.flow(flow).dead_letters += 1


def retry(system: str) -> None:
    """A change of ``system``'s record (or a write to it) is tried again."""
    RETRIES.labels(system).inc()


def polled(
    system: str,
    entity: str,
    *,
    records: int = 0,
    cursor_at: datetime | None = None,
    completed: bool = False,
) -> None:
    """A poll of ``system``/``entity`` read ``records``; ``completed``: to the end."""
    activity = ACTIVITY.poll(system, entity)
    activity.records_read += records
    if cursor_at is not None and (
        activity.cursor_at is None or cursor_at > activity.cursor_at
    ):
        activity.cursor_at = cursor_at
    if completed:
        activity.last_poll_at = utc_now()
        activity.first_read_done = True


def held(flow: str, links: int, pending: int) -> None:
    """Links and parked changes ``flow`` holds in this worker now."""
    LINKS.labels(flow).set(links)
    PENDING.labels(flow).set(pending)


def lag(flow: str, behind: int) -> None:
    """Messages ``flow`` is behind on its input topics in this worker."""
    LAG.labels(flow).set(behind)


def record_dropped() -> None:
    """A write record did not reach ``{app}.writes``."""
    RECORDS_DROPPED.inc()


States = Callable[[], Mapping[str, bool]]


class _Views(Collector):
    """Metrics read when scraped: states, cursor ages, rate-limit totals."""

    def __init__(self) -> None:
        self.paused: States = dict
        self.up: States = dict

    def collect(self) -> Iterator[Metric]:
        paused = GaugeMetricFamily(
            "tether_flow_paused", "1 while a flow is paused", labels=["flow"]
        )
        for flow, state in sorted(self.paused().items()):
            paused.add_metric([flow], 1.0 if state else 0.0)
        up = GaugeMetricFamily(
            "tether_system_up", "1 while a system answers", labels=["system"]
        )
        for system, state in sorted(self.up().items()):
            up.add_metric([system], 1.0 if state else 0.0)
        age = GaugeMetricFamily(
            "tether_cursor_age_seconds",
            "Seconds since the newest modification time a polled type published",
            labels=["system", "type"],
        )
        now = utc_now()
        for (system, entity), poll in sorted(ACTIVITY.polls.items()):
            if poll.cursor_at is not None:
                seconds = max(0.0, (now - poll.cursor_at).total_seconds())
                age.add_metric([system, entity], seconds)
        waits = CounterMetricFamily(
            "tether_rate_limit_waits",
            "Requests that waited for the rate limit",
            labels=["system"],
        )
        seconds_waited = CounterMetricFamily(
            "tether_rate_limit_wait_seconds",
            "Seconds requests waited for the rate limit",
            labels=["system"],
        )
        for system, count, spent in limiter_totals():
            waits.add_metric([system], count)
            seconds_waited.add_metric([system], spent)
        yield from (paused, up, age, waits, seconds_waited)


_VIEWS = _Views()
REGISTRY.register(_VIEWS)


def watch_states(paused: States, up: States) -> None:
    """Read flows' pause states and systems' health when scraped."""
    _VIEWS.paused, _VIEWS.up = paused, up
