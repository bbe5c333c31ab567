"""Change latency: an edit in Webcrm until Customcrm shows it, polling vs push.

Both runs use the same broker and the same stand-ins' defaults (Webcrm's 250
requests/minute included). Polling: the worker polls Webcrm every second (the
baseline). Push: Webcrm's hooks POST each change to the worker's receiver; the
poll interval is 10 minutes (the safety net never fires during the run). Each
run first syncs the organisations, then makes N edits of distinct organisations
with random gaps, and times each from the edit until the linked Customcrm
customer holds the new value.

    .venv/bin/python bench/latency.py [--edits 200] [--small]

Uses TETHER_KAFKA_BOOTSTRAP when set, else starts its own broker on free ports
(jars from TETHER_BROKER_LIBS when set).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from devkit.broker import BrokerMode, BrokerSettings, EmbeddedBroker
from devkit.local import LocalDeployment, latest_by_key
from standins import CustomcrmStandIn, WebcrmStandIn
from standins.webcrm import seed_webcrm

FLOW = "webcrm-organisations-to-customcrm-customer"
POLL_S = 1.0
SAFETY_NET_POLL_S = 600.0


@dataclass
class Watch:
    """Edits in flight: customer id -> (expected city, edit time); latencies."""

    customcrm: CustomcrmStandIn
    pending: dict[str, tuple[str, float]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                waiting = list(self.pending.items())
            for customer_id, (city, started) in waiting:
                record = self.customcrm.store.get("customers", customer_id) or {}
                if record.get("City") == city:
                    done = time.monotonic()
                    with self.lock:
                        self.pending.pop(customer_id, None)
                        self.latencies.append(done - started)
            time.sleep(0.002)


def links(local: LocalDeployment) -> dict[str, str]:
    """Organisation id -> customer id, from the flow's link notices."""
    notices = latest_by_key(local.read_topic(local.topics.links(FLOW)))
    return {n["source_id"]: t for t, n in notices.items() if n["op"] == "link"}


def measure(
    bootstrap: str, push: bool, orgs: int, edits: int, gaps: tuple[float, float],
    seed: int,
) -> tuple[list[float], int]:  # fmt: skip
    """One run: (latencies in seconds, edits that never arrived)."""
    rng = random.Random(seed)  # noqa: S311 - edit gaps, not secrets
    with WebcrmStandIn() as webcrm, CustomcrmStandIn() as customcrm, \
            tempfile.TemporaryDirectory() as home:  # fmt: skip
        seed_webcrm(webcrm, organisations=orgs, persons=0, products=0)
        ids = [r["OrganisationId"] for r in webcrm.records("Organisations")]
        local = LocalDeployment(
            bootstrap=bootstrap,
            app_id=f"bench-latency-{uuid.uuid4().hex[:8]}",
            home=Path(home),
            standins={"webcrm": webcrm, "customcrm": customcrm},
            flows=FLOW,
            poll_interval=SAFETY_NET_POLL_S if push else POLL_S,
            push=push,
        )
        try:
            local.start_worker()
            if push:
                # No poll will come: the initial sync is by webhook too.
                local.wait_for(lambda: len(webcrm.records("Hooks")) >= 3,
                               timeout=300, what="hooks registered")  # fmt: skip
                time.sleep(2.0)  # the receiver starts with the worker
                for org_id in ids:
                    webcrm.edit("Organisations", org_id, {"OrganisationWww": "x"})
            local.wait_for(lambda: len(links(local)) == orgs, timeout=600,
                           what="initial sync", interval=0.5)  # fmt: skip
            customer_of = links(local)
            watch = Watch(customcrm)
            watcher = threading.Thread(target=watch.run, daemon=True)
            watcher.start()
            for n in range(edits):
                with watch.lock:
                    free = [i for i in ids if customer_of[str(i)] not in watch.pending]
                org_id = rng.choice(free) if free else rng.choice(ids)
                city = f"City {n}-{uuid.uuid4().hex[:6]}"
                with watch.lock:
                    watch.pending[customer_of[str(org_id)]] = (city, time.monotonic())
                webcrm.edit("Organisations", org_id, {"OrganisationCity": city})
                time.sleep(rng.uniform(*gaps))
            deadline = time.monotonic() + 120
            while watch.pending and time.monotonic() < deadline:
                local.assert_workers_alive()
                time.sleep(0.1)
            watch.stop.set()
            watcher.join()
            return watch.latencies, len(watch.pending)
        finally:
            local.stop()


def own_broker(home: Path) -> EmbeddedBroker:
    """A broker of this run's own: a temporary home and free ports."""
    ports = []
    while len(ports) < 2:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in ports:
            ports.append(port)
    libs = os.environ.get("TETHER_BROKER_LIBS")
    settings = BrokerSettings(
        home=home, libs=Path(libs) if libs else None, port=ports[0],
        controller_port=ports[1],
    )  # fmt: skip
    return EmbeddedBroker(settings, mode=BrokerMode.OWNED)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--organisations", type=int, default=50)
    parser.add_argument("--small", action="store_true", help="20 edits, 10 orgs")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    edits, orgs = (20, 10) if args.small else (args.edits, args.organisations)
    gaps = (0.05, 0.5)
    bootstrap = os.environ.get("TETHER_KAFKA_BOOTSTRAP", "")
    with tempfile.TemporaryDirectory() as kafka_home:
        broker = None
        if not bootstrap:
            broker = own_broker(Path(kafka_home)).__enter__()
            bootstrap = broker.bootstrap
        try:
            polled, polled_lost = measure(
                bootstrap, False, orgs, edits, gaps, args.seed
            )
            pushed, pushed_lost = measure(bootstrap, True, orgs, edits, gaps, args.seed)
        finally:
            if broker is not None:
                broker.__exit__(None, None, None)
    out = [
        f"edits              {edits} of {orgs} Webcrm organisations, random gaps "
        f"{gaps[0] * 1000:.0f}-{gaps[1] * 1000:.0f} ms; edit -> Customcrm customer",
        f"{'':18} {'polling 1 s':>12} {'push':>12}",
    ]
    for name, p in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100)):
        out.append(
            f"{name:18} {percentile(polled, p):10.3f} s {percentile(pushed, p):10.3f} s"
        )
    out.append(f"{'mean':18} {statistics.fmean(polled or [0]):10.3f} s "
               f"{statistics.fmean(pushed or [0]):10.3f} s")  # fmt: skip
    out.append(f"{'never arrived':18} {polled_lost:12d} {pushed_lost:12d}")
    p99_poll, p99_push = percentile(polled, 99), percentile(pushed, 99)
    out.append(f"ratio p99 polling/push  {p99_poll / p99_push:.1f}x")
    out.append(f"push p99 < 500 ms       {'yes' if p99_push < 0.5 else 'no'}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
