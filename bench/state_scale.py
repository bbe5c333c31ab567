"""State at scale: a worker's memory, start-to-ready time and lookups with N links.

One flow (Webcrm organisations -> Customcrm customers) gets N links as a finished
sync leaves them: N rows in its link table, N routes in its reverse table, and
2N id-map pairs. The records go straight into the tables' changelog topics, in
the format faust writes them (key: the id as raw text; value: JSON), which takes
seconds where a sync through the stand-ins would take hours. Then a real worker
process (``tether worker``, that flow only) starts twice:

- cold: an empty data directory, so every table is rebuilt from its changelog
  (a new machine, a lost volume);
- warm: the same data directory again (a restart).

Ready means the worker has recovered its tables and handled a first event: a new
organisation seeded into the Webcrm stand-in appears in the Customcrm stand-in.
RSS is read from /proc after ready (VmRSS; VmHWM is the peak during recovery).
Lookup cost is LinkTable.get and IdMap.resolve on random present keys, in this
process, over the tables the worker left: its RocksDB directories opened read
only, or, for a table the worker holds in memory, a dict rebuilt from the
changelog exactly as the worker does. N=10,000 is the baseline, run first on the
same broker.

    .venv/bin/python bench/state_scale.py [--small] [--links 1000000]

Uses TETHER_KAFKA_BOOTSTRAP when set, else starts a broker like `tether demo`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from rocksdict import AccessType, Options, Rdict

from devkit.broker import BrokerMode, BrokerSettings, EmbeddedBroker
from devkit.local import LocalDeployment
from engine.stores import IdMap, LinkTable
from standins import CustomcrmStandIn, WebcrmStandIn
from standins.webcrm.sample_data import webcrm_sample
from streams.provision import TopicSpec, ensure_topics

FLOW = "webcrm-organisations-to-customcrm-customer"
PARTITIONS = 4
FIRST_SOURCE = 10_000_000  # far from the stand-in's own ids (1001...)
SAMPLES = 20_000
_PARTITIONER = DefaultPartitioner()


@dataclass
class Start:
    """One worker start: seconds to ready, to faust's "Recovery complete", memory."""

    ready_s: float
    recovered_s: float | None
    rss_mb: float
    peak_mb: float


@dataclass
class Figures:
    links: int
    fill_s: float
    cold: Start
    warm: Start
    link_us: float
    idmap_us: float
    idmap_where: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def partition_of(key: str) -> int:
    """The partition of ``key`` in the flow's topics, so in its tables too.

    Entity topics are keyed by the id as UTF-8 text and partitioned by aiokafka's
    default partitioner; a table row lives in the partition of the event that
    wrote it.
    """
    every = list(range(PARTITIONS))
    return int(_PARTITIONER(key.encode(), every, every))


def changelog_key(key: str) -> bytes:
    """A table key as faust writes it (tables without a key type use JSON)."""
    return json.dumps(key).encode()


def link_json(source_id: str, target_id: str) -> bytes:
    """A link row like a created link of this flow (a few synced properties)."""
    stamp = "2026-01-02T03:04:05.678901Z"
    return json.dumps(
        {
            "flow": FLOW,
            "source_id": source_id,
            "target_id": target_id,
            "synced": {
                "name": f"Organisation {source_id} AS",
                "vat": f"NO{source_id}MVA",
                "city": "Oslo",
                "phone": f"+47 {source_id}",
                "www": f"org{source_id}.no",
            },
            "source_seen_at": stamp,
            "target_seen_at": stamp,
            "linked_at": stamp,
            "how": "created",
            "value_targets": {},
            "target_deleted_at": None,
        }
    ).encode()


def pairs(n: int) -> Iterator[tuple[str, str]]:
    for i in range(n):
        yield str(FIRST_SOURCE + i), f"bench-{i:08d}"


async def fill(bootstrap: str, app_id: str, n: int) -> None:
    """Write N links, routes and id-map pairs into the changelogs."""
    changelog = f"{app_id}-{{}}-changelog"
    links, routes = (
        changelog.format(f"{FLOW}-links"),
        changelog.format(f"{FLOW}-reverse"),
    )
    idmap = changelog.format("idmap")
    specs = [TopicSpec(links, PARTITIONS, True), TopicSpec(routes, PARTITIONS, True),
             TopicSpec(idmap, 1, True)]  # fmt: skip
    await ensure_topics(bootstrap, specs, 1, max_message_bytes=1_000_000)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1,
                                max_batch_size=1024 * 1024)  # fmt: skip
    await producer.start()
    # Whole batches per partition: a future per message would take minutes.
    batches: dict[tuple[str, int], Any] = {}
    sent: list[Any] = []

    async def flush(where: tuple[str, int]) -> None:
        topic, partition = where
        sent.append(
            await producer.send_batch(batches.pop(where), topic, partition=partition)
        )

    try:
        for source, target in pairs(n):
            route = {"source_id": source, "offset": None}
            sends = (
                (links, source, link_json(source, target), partition_of(source)),
                (routes, target, json.dumps(route).encode(), partition_of(target)),
                (idmap, f"{FLOW}/s/{source}", json.dumps(target).encode(), 0),
                (idmap, f"{FLOW}/t/{target}", json.dumps(source).encode(), 0),
            )
            for topic, key, value, partition in sends:
                where = (topic, partition)
                if where not in batches:
                    batches[where] = producer.create_batch()
                added = batches[where].append(key=changelog_key(key), value=value,
                                              timestamp=None)  # fmt: skip
                if added is None:  # full: send it, start the next with this record
                    await flush(where)
                    batches[where] = producer.create_batch()
                    batches[where].append(key=changelog_key(key), value=value,
                                          timestamp=None)  # fmt: skip
        for where in list(batches):
            await flush(where)
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def memory_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM of ``pid`` in MB."""
    fields = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    kb = [int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")]
    return kb[0] / 1024, kb[1] / 1024


def start_until_ready(local: LocalDeployment, customcrm: CustomcrmStandIn,
                      customers: int) -> Start:  # fmt: skip
    """Start the worker; wait until it made the ``customers``-th customer."""
    log = local.log_path("w1")
    before = log.stat().st_size if log.exists() else 0
    started = time.monotonic()
    process = local.start_worker("w1")
    recovered: list[float] = []

    def ready() -> bool:
        if not recovered and b"Recovery complete" in log.read_bytes()[before:]:
            recovered.append(time.monotonic() - started)
        return len(customcrm.records("customers")) >= customers

    local.wait_for(ready, timeout=3600, what="first event handled", interval=0.05)
    ready_s = time.monotonic() - started
    rss, peak = memory_mb(process.pid)
    local.stop_worker("w1")
    return Start(ready_s, recovered[0] if recovered else None, rss, peak)


class _RocksView:
    """The tables' RocksDB databases, read only, as the mapping the engine reads."""

    def __init__(self, paths: list[Path]) -> None:
        options = Options(raw_mode=True)
        self._dbs = [Rdict(str(p), options, access_type=AccessType.read_only())
                     for p in sorted(paths)]  # fmt: skip

    def get(self, key: str, default: Any = None) -> Any:
        db = self._dbs[partition_of(key) if len(self._dbs) > 1 else 0]
        found = db.get(changelog_key(key))
        return json.loads(found) if found is not None else default

    def close(self) -> None:
        for db in self._dbs:
            db.close()


async def changelog_dict(bootstrap: str, topic: str) -> dict[str, Any]:
    """A one-partition changelog replayed into a dict, as faust's memory store does."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                max_partition_fetch_bytes=8 * 2**20)  # fmt: skip
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        data: dict[str, Any] = {}
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=1000, max_records=50_000)
            for message in batch.get(tp, []):
                key = json.loads(cast(bytes, message.key))
                if message.value is None:
                    data.pop(key, None)
                else:
                    data[key] = json.loads(message.value)
        return data
    finally:
        await consumer.stop()


def per_call_us(call: Any, keys: list[str], rounds: int = 3) -> float:
    """Mean microseconds of ``call(key)`` over ``keys``, best of ``rounds``.

    The best round is the one least disturbed by other processes on the machine.
    """
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter_ns()
        for key in keys:
            if call(key) is None:
                msg = f"lookup of {key} found nothing"
                raise AssertionError(msg)
        best = min(best, (time.perf_counter_ns() - started) / len(keys) / 1000)
    return best


def lookups(
    bootstrap: str, app_id: str, state: Path, n: int
) -> tuple[float, float, str]:
    """LinkTable.get and IdMap.resolve cost on random keys of the worker's tables."""
    rng = random.Random(11)  # noqa: S311 - sampling keys, not secrets
    keys = [str(FIRST_SOURCE + rng.randrange(n)) for _ in range(SAMPLES)]
    links = _RocksView(list(state.rglob(f"{FLOW}-links-*.db")))
    on_disk = list(state.rglob("idmap-*.db"))
    try:
        link_us = per_call_us(LinkTable(cast(Any, links)).get, keys)
    finally:
        links.close()
    if on_disk:
        view = _RocksView(on_disk)
        store: Any = view
        where = "RocksDB"
    else:
        store = asyncio.run(changelog_dict(bootstrap, f"{app_id}-idmap-changelog"))
        where = "memory"
    try:
        idmap = IdMap(store)
        idmap_us = per_call_us(lambda key: idmap.resolve(FLOW, key), keys)
    finally:
        if on_disk:
            view.close()
    return link_us, idmap_us, where


def measure(bootstrap: str, n: int, home: Path) -> Figures:
    app_id = f"bench-state-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    asyncio.run(fill(bootstrap, app_id, n))
    fill_s = time.monotonic() - started
    first, second = webcrm_sample(organisations=2, persons=0, products=0)[
        "Organisations"
    ]
    # Stamped now when seeded, so the poll after the restart sees it as new.
    second = {
        k: v for k, v in second.items() if not k.endswith(("CreatedAt", "UpdatedAt"))
    }
    with WebcrmStandIn() as webcrm, CustomcrmStandIn() as customcrm:
        webcrm.set_faults(rate_limit=None)
        local = LocalDeployment(bootstrap=bootstrap, app_id=app_id, home=home,
                                standins={"webcrm": webcrm, "customcrm": customcrm},
                                flows=FLOW, poll_interval=0.25)  # fmt: skip
        try:
            webcrm.seed("Organisations", [first])
            cold = start_until_ready(local, customcrm, 1)
            webcrm.seed("Organisations", [second])
            warm = start_until_ready(local, customcrm, 2)
        finally:
            local.stop()
    link_us, idmap_us, where = lookups(bootstrap, app_id, home / "state-w1", n)
    return Figures(n, fill_s, cold, warm, link_us, idmap_us, where)


def _values(f: Figures) -> dict[str, float | None]:
    return {
        "changelog fill (s)": f.fill_s,
        "cold start: recovery done (s)": f.cold.recovered_s,
        "cold start: ready (s)": f.cold.ready_s,
        "cold start: RSS when ready (MB)": f.cold.rss_mb,
        "cold start: peak RSS (MB)": f.cold.peak_mb,
        "restart: recovery done (s)": f.warm.recovered_s,
        "restart: ready (s)": f.warm.ready_s,
        "restart: RSS when ready (MB)": f.warm.rss_mb,
        "restart: peak RSS (MB)": f.warm.peak_mb,
        "LinkTable.get (us)": f.link_us,
        f"IdMap.resolve (us, {f.idmap_where})": f.idmap_us,
    }


def report(base: Figures, big: Figures) -> str:
    """Both runs side by side, with large/baseline ratios."""
    head = f"{'links':36} {base.links:>12,} {big.links:>12,} {'ratio':>8}"
    lines = [head, "-" * len(head)]
    for (name, small), large in zip(
        _values(base).items(), _values(big).values(), strict=True
    ):
        cells = [f"{v:.1f}" if v is not None else "?" for v in (small, large)]
        ratio = f"{large / small:7.2f}x" if small and large else ""
        lines.append(f"{name:36} {cells[0]:>12} {cells[1]:>12} {ratio:>8}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=int, default=10_000)
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--small", action="store_true", help="10,000 vs 50,000 links")
    parser.add_argument("--home", help="keep state and worker logs under this folder")
    args = parser.parse_args()

    if args.small:
        args.links = 50_000
    bootstrap = os.environ.get("TETHER_KAFKA_BOOTSTRAP", "")
    kept = (
        contextlib.nullcontext(tempfile.mkdtemp(dir=args.home)) if args.home else None
    )
    with kept or tempfile.TemporaryDirectory() as home:
        broker = None
        if not bootstrap:
            # Its own home and ports: other brokers on this machine stay untouched.
            settings = BrokerSettings(home=Path(home) / "kafka", port=free_port(),
                                      controller_port=free_port())  # fmt: skip
            broker = EmbeddedBroker(settings, mode=BrokerMode.OWNED).__enter__()
            bootstrap = broker.bootstrap
        try:
            base = measure(bootstrap, args.baseline, Path(home) / "baseline")
            big = measure(bootstrap, args.links, Path(home) / "large")
        finally:
            if broker is not None:
                broker.__exit__(None, None, None)
    sys.stdout.write(report(base, big))
    return 0


if __name__ == "__main__":
    sys.exit(main())
