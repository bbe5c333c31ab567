"""Replay of already-synced events: one flow against a plain Kafka loop, same broker.

How the events are made honest: a real worker first syncs ``--records`` Webcrm
organisations into an empty Customcrm stand-in (flow
webcrm-organisations-to-customcrm-customer) and is stopped once every link
exists and its offsets are committed. The latest message of each organisation
on ``{app}.webcrm.Organisations`` is then produced again, byte for byte, until
``--events`` copies are on the topic: each is an already-synced change (its
link exists, its data is what the link agreed, its modification time already
seen), exactly what a replay from the earliest offsets, a redelivery or a
periodic re-read brings. A worker is started again and timed from its first
commit to the commit of the last copy (the group's committed offsets, polled;
faust commits every second). It must write nothing (checked).

The baseline, in the same run, on the same broker and topic: a plain aiokafka
consumer reads every message of the topic, decodes it into a ``ChangeEvent``,
encodes it again and produces it to a scratch topic (acknowledged at the end):
the least any consumer that looks at the events must do.

    .venv/bin/python bench/replay.py [--events 200000] [--small] [--profile]

``--profile`` runs the timed worker under cProfile and prints the top of it
(the worker's main thread: the agents, not aiokafka's fetcher thread).
Uses TETHER_KAFKA_BOOTSTRAP when set, else starts a broker of its own on free
ports (jars from TETHER_BROKER_LIBS or .kafka/libs).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import pstats
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from devkit.broker import BrokerMode, BrokerSettings, EmbeddedBroker
from devkit.local import LocalDeployment
from schemas.envelope import ChangeEvent
from standins import CustomcrmStandIn, WebcrmStandIn
from standins.webcrm import seed_webcrm
from streams.codecs import encode

FLOW = "webcrm-organisations-to-customcrm-customer"


async def _latest_raw(bootstrap: str, topic: str) -> dict[bytes, bytes]:
    """The latest value of every key of ``topic``, as the bytes on the topic."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in await _partitions(consumer, topic)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        latest: dict[bytes, bytes] = {}
        left = {tp for tp in tps if ends[tp] > 0}
        while left:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                for m in messages:
                    if m.key is not None and m.value is not None:
                        latest[m.key] = m.value
                    if m.offset + 1 >= ends[TopicPartition(m.topic, m.partition)]:
                        left.discard(TopicPartition(m.topic, m.partition))
        return latest
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - fresh metadata
    return consumer.partitions_for_topic(topic) or set()


async def _produce_copies(
    bootstrap: str, topic: str, latest: dict[bytes, bytes], count: int
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024, acks="all"
    )
    await producer.start()
    try:
        items = list(latest.items())
        pending = []
        for i in range(count):
            key, value = items[i % len(items)]
            pending.append(await producer.send(topic, value, key=key))
            if len(pending) >= 10_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def _ends(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in await _partitions(consumer, topic)]
        return {tp.partition: o for tp, o in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def _committed(
    admin: AIOKafkaAdminClient, group: str, topic: str
) -> dict[int, int]:
    offsets = await admin.list_consumer_group_offsets(group)
    return {
        tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic
    }


async def _time_worker(
    bootstrap: str,
    group: str,
    topic: str,
    ends: dict[int, int],
    started: float,
    give_up_s: float,
) -> tuple[float, float]:
    """(seconds to the first commit past the replay's start, to the last one)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        before = await _committed(admin, group, topic)
        first = None
        while time.monotonic() - started < give_up_s:
            now = await _committed(admin, group, topic)
            if first is None and any(now.get(p, 0) > before.get(p, 0) for p in now):
                first = time.monotonic() - started
            if all(now.get(p, 0) >= end for p, end in ends.items()):
                return first or time.monotonic() - started, time.monotonic() - started
            await asyncio.sleep(0.05)
        msg = f"the worker did not commit the replay within {give_up_s} s"
        raise TimeoutError(msg)
    finally:
        await admin.close()


async def baseline(bootstrap: str, topic: str, scratch: str) -> tuple[int, float]:
    """Consume -> decode -> encode -> produce every message: (events, seconds)."""
    ends = await _ends(bootstrap, topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 2**20,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024, acks="all"
    )
    await consumer.start()
    await producer.start()
    try:
        tps = [TopicPartition(topic, p) for p in ends]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        started = time.monotonic()
        count, pending, left = 0, [], {tp for tp in tps if ends[tp.partition] > 0}
        while left:
            for tp, messages in (await consumer.getmany(timeout_ms=500)).items():
                for m in messages:
                    event = ChangeEvent.model_validate_json(m.value or b"")
                    pending.append(
                        await producer.send(scratch, encode(event), key=m.key)
                    )
                    count += 1
                    if m.offset + 1 >= ends[tp.partition]:
                        left.discard(tp)
            if len(pending) >= 10_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return count, time.monotonic() - started
    finally:
        await consumer.stop()
        await producer.stop()


def _start(local: LocalDeployment, profile: Path | None) -> subprocess.Popen[bytes]:
    if profile is None:
        return local.start_worker("w1")
    log = local.log_path("w1").open("ab")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            str(profile),
            "-m",
            "ops",
            "worker",
            "--loglevel",
            "info",
        ],
        env=local.worker_env("w1"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    local.workers["w1"] = process
    return process


_STAMP = re.compile(r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})")


def _recovered_after(log: Path, since: float) -> float | None:
    """Wall-clock seconds from ``since`` to the first "Recovery complete" after it."""
    for line in log.read_text(errors="replace").splitlines():
        found = _STAMP.match(line)
        if found is None or "Recovery complete" not in line:
            continue
        # The worker logs local time, without a zone.
        stamp = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")  # noqa: DTZ007
        when = stamp.astimezone().timestamp()
        if when >= since:
            return when - since
    return None


def _profile_top(path: Path, lines: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("tottime").print_stats(lines)
    text = out.getvalue()
    return text[text.find("   ncalls") :]


def run(args: argparse.Namespace, bootstrap: str, home: Path) -> dict[str, float]:
    app_id = f"bench-replay-{uuid.uuid4().hex[:8]}"
    env = {"TETHER_RESYNC_INTERVAL": "0"}
    if args.concurrency:
        env["TETHER_FLOW_CONCURRENCY"] = str(args.concurrency)
    with WebcrmStandIn() as webcrm, CustomcrmStandIn() as customcrm:
        webcrm.set_faults(rate_limit=None)
        seed_webcrm(webcrm, organisations=args.records, persons=0, products=0)
        local = LocalDeployment(
            bootstrap=bootstrap,
            app_id=app_id,
            home=home,
            standins={"webcrm": webcrm, "customcrm": customcrm},
            flows=FLOW,
            poll_interval=0.5,
            extra_env=env,
        )
        topic = local.topics.entity("webcrm", "Organisations")
        try:
            local.start_worker("w1")
            local.wait_for(
                lambda: len(customcrm.records("customers")) >= args.records,
                timeout=600,
                what="the first sync",
            )
            ends = asyncio.run(_ends(bootstrap, topic))
            asyncio.run(
                _time_worker(
                    bootstrap, app_id, topic, ends, time.monotonic(), give_up_s=600
                )
            )
            time.sleep(3)  # the links' notices and changelogs settle
            local.stop_worker("w1")
            writes = customcrm.write_count()
            latest = asyncio.run(_latest_raw(bootstrap, topic))
            asyncio.run(_produce_copies(bootstrap, topic, latest, args.events))
            ends = asyncio.run(_ends(bootstrap, topic))
            profile = home / "worker.prof" if args.profile else None
            started, wall = time.monotonic(), time.time()
            _start(local, profile)
            first, last = asyncio.run(
                _time_worker(bootstrap, app_id, topic, ends, started, give_up_s=3600)
            )
            process = local.workers.pop("w1")
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
            written = customcrm.write_count() - writes
            recovered = _recovered_after(local.log_path("w1"), wall)
        finally:
            local.stop()
        base_count, base_s = asyncio.run(
            baseline(bootstrap, topic, f"{app_id}.scratch")
        )
    figures = {
        "events": float(args.events),
        "first_commit_s": first,
        "recovered_s": -1.0 if recovered is None else recovered,
        "tether_s": last - first,
        "tether_eps": args.events / max(last - first, 1e-9),
        "baseline_events": float(base_count),
        "baseline_eps": base_count / base_s,
        "writes": float(written),
    }
    if profile is not None:
        sys.stdout.write(_profile_top(profile, args.profile_lines))
        if args.profile_out:
            shutil.copy(profile, args.profile_out)
    return figures


def _broker_settings(home: Path) -> BrokerSettings:
    """A broker of this run's own: free ports (another may hold 19092)."""
    ports: list[int] = []
    while len(ports) < 2:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in ports:
            ports.append(port)
    libs = os.environ.get("TETHER_BROKER_LIBS")
    return BrokerSettings(
        home=home / "broker",
        libs=Path(libs) if libs else Path(__file__).parent.parent / ".kafka" / "libs",
        port=ports[0],
        controller_port=ports[1],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--small", action="store_true", help="5,000 events, 50 records")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-lines", type=int, default=25)
    parser.add_argument("--profile-out", help="keep the worker's cProfile data here")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="TETHER_FLOW_CONCURRENCY of the worker (0: its default)",
    )
    args = parser.parse_args()
    if args.small:
        args.events, args.records = 5_000, 50
    bootstrap = os.environ.get("TETHER_KAFKA_BOOTSTRAP", "")
    with tempfile.TemporaryDirectory() as home:
        broker = None
        if not bootstrap:
            broker = EmbeddedBroker(_broker_settings(Path(home)), mode=BrokerMode.OWNED)
            broker.__enter__()
            bootstrap = broker.bootstrap
        try:
            f = run(args, bootstrap, Path(home))
        finally:
            if broker is not None:
                broker.__exit__(None, None, None)
    ratio = f["tether_eps"] / f["baseline_eps"]
    lines = [
        f"replayed events        {int(f['events'])} (already synced, "
        f"{args.records} records)",
        f"start -> tables recovered {f['recovered_s']:7.2f} s (faust's log)",
        f"start -> first commit  {f['first_commit_s']:7.2f} s (commits every 1 s)",
        f"tether (one flow)      {f['tether_s']:7.2f} s "
        f"{f['tether_eps']:10.1f} events/s",
        f"baseline (plain loop)  {int(f['baseline_events'])} events "
        f"{f['baseline_eps']:10.1f} events/s",
        f"ratio tether/baseline  {ratio:7.3f}x",
        f"writes during replay   {int(f['writes'])} (must be 0)",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0 if f["writes"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
