"""Initial sync: tether (broker + worker) against a direct copy with 16 in flight.

Webcrm Organisations, Persons and Products go into Customcrm (the
``webcrm-customcrm`` document) with both stand-ins answering every request after
``--latency`` ms. The baseline reads every record through the Webcrm connector
and creates it through the Customcrm connector, ``--in-flight`` creates at a
time, with no Kafka, no link table and no matching: the least any sync must pay.
``--already-present`` also syncs into a Customcrm that holds every record
already (all link by natural key, nothing to create) and prints its time next
to the empty target's: as a direct copy left them (``--present-as copy``,
equal values), or with some values missing (``overlap``: a write each). Both
tether runs are timed the same way, from the first link notice to the last,
and the requests each stand-in answered are counted (calls per record).

    .venv/bin/python bench/initial_sync.py [--records 5000] [--latency 30]
        [--already-present] [--small]

``--records 100000 --latency 0`` shows where the time of a large sync goes.
Uses TETHER_KAFKA_BOOTSTRAP when set, else starts a broker on free ports.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors import build_connector
from dataflows import flows_by_name, load_documents
from devkit.broker import BrokerMode, BrokerSettings, EmbeddedBroker
from devkit.local import LocalDeployment
from engine.mapping import project_source, target_changes
from standins import CustomcrmStandIn, WebcrmStandIn
from standins.base import StandIn
from standins.customcrm.sample_data import customcrm_overlap
from standins.webcrm.fields import format_time
from standins.webcrm.sample_data import webcrm_sample
from streams.kafka_io import read_all
from streams.topics import TopicNames

TARGET_OF = {"Organisations": "Customer", "Persons": "Contact", "Products": "Product"}
RESOURCES = ("customers", "contacts", "products")
DOCUMENT = "webcrm-customcrm"


def _flows() -> dict[str, Any]:
    return {
        name: flow
        for name, flow in flows_by_name(load_documents()).items()
        if flow.source.system == "webcrm" and flow.target.system == "customcrm"
    }


def sizes_of(records: int) -> dict[str, int]:
    """The sample's shape: a fifth organisations, a tenth products, the rest persons."""
    organisations = max(1, records // 5)
    products = max(1, records // 10)
    return {
        "organisations": organisations,
        "persons": max(0, records - organisations - products),
        "products": products,
    }


def sample(records: int) -> dict[str, list[dict[str, Any]]]:
    """Webcrm records of the sample's shape, as many as asked (the stand-in's own
    sample stops at a few hundred distinct names): every name, VAT number and
    e-mail unique, modification times one second apart."""
    sizes = sizes_of(records)
    base = webcrm_sample(organisations=40, persons=40, products=12)
    start = datetime(2023, 1, 2, 8, 0, tzinfo=UTC)
    stamp = iter(format_time(start + timedelta(seconds=i)) for i in range(records))

    def times(prefix: str) -> dict[str, str]:
        at = next(stamp)
        return {f"{prefix}CreatedAt": at, f"{prefix}UpdatedAt": at}

    orgs = []
    for i in range(sizes["organisations"]):
        like = base["Organisations"][i % 40]
        domain = f"org{i}.example"
        orgs.append({
            **like, **times("Organisation"), "OrganisationId": 1001 + i,
            "OrganisationName": f"{like['OrganisationName']} {i}",
            "OrganisationVatNumber": f"NO9{10**7 + i}MVA",
            "OrganisationWww": domain, "OrganisationDomain": domain,
        })  # fmt: skip
    persons = []
    for i in range(sizes["persons"]):
        like, org = base["Persons"][i % 40], orgs[i % len(orgs)]
        persons.append({
            **like, **times("Person"), "PersonId": 1001 + i,
            "PersonOrganisationId": org["OrganisationId"],
            "PersonEmail": f"p{i}@{org['OrganisationDomain']}",
        })  # fmt: skip
    products = []
    for i in range(sizes["products"]):
        like, org = base["Products"][i % 12], orgs[i % len(orgs)]
        products.append({
            **like, **times("Product"), "ProductId": 1001 + i,
            "ProductOrganisationId": org["OrganisationId"],
            "ProductCombined": f"{like['ProductCombined']} {i}",
        })  # fmt: skip
    return {"Organisations": orgs, "Persons": persons, "Products": products}


def seed(webcrm: WebcrmStandIn, records: int) -> dict[str, list[dict[str, Any]]]:
    return {e: webcrm.seed(e, rows) for e, rows in sample(records).items()}


def live(customcrm: CustomcrmStandIn) -> int:
    return sum(len(customcrm.records(r)) for r in RESOURCES)


@dataclass
class Calls:
    """Every API request a stand-in answered, by method (admin calls excluded)."""

    by_method: Counter[str] = field(default_factory=Counter)
    by_path: Counter[str] = field(default_factory=Counter)

    def watch(self, standin: StandIn) -> None:
        # The fault injector plans every API request: counting there needs no
        # change to the stand-in (benchmarks are self-contained).
        injector = standin.injector
        plan = injector.plan

        def counted(method: str, path: str, rate_key: str | None) -> Any:
            self.by_method[method] += 1
            self.by_path[f"{method} /{path.strip('/').split('/')[0]}"] += 1
            return plan(method, path, rate_key)

        injector.plan = counted  # type: ignore[method-assign]

    def per_record(self, records: int) -> str:
        total = sum(self.by_method.values())
        parts = ", ".join(
            f"{m} {n / records:.2f}" for m, n in sorted(self.by_method.items())
        )
        return f"{total / records:.2f} ({parts or 'none'})"


async def baseline(
    webcrm: WebcrmStandIn, customcrm: CustomcrmStandIn, in_flight: int
) -> None:
    """Read all, map, create ``in_flight`` at a time: the floor any sync must pay."""
    flows = {f.source.type: f for f in _flows().values()
             if f.source.system == "webcrm"}  # fmt: skip
    os.environ.update(webcrm.connector_env() | customcrm.connector_env())
    ids: dict[str, str] = {}
    gate = asyncio.Semaphore(in_flight)
    async with (
        build_connector("webcrm") as source,
        build_connector("customcrm") as sink,
    ):

        async def copy(entity: str, event: Any) -> None:
            flow = flows[entity]
            values = project_source(flow, event.data, lambda _f, sid: ids.get(sid, ""))
            async with gate:
                created = await sink.sink.create(
                    TARGET_OF[entity],
                    target_changes(flow, values),
                    idempotency_key=f"bench-{entity}-{event.id}",
                )
            if entity == "Organisations":
                ids[event.id] = created.id

        # Types in dependency order (persons reference organisations).
        for entity in source.source.entities():
            events = [
                event
                async for page in source.source.read(entity, None)
                for event in page.events
            ]
            await asyncio.gather(*(copy(entity, e) for e in events))


def linked(bootstrap: str, app_id: str) -> int:
    """Source records linked so far, from the flows' link-notice topics."""
    names = TopicNames(app_id)
    flows = _flows()
    seen: set[tuple[str, str]] = set()
    for name in flows:
        for _, value in asyncio.run(read_all(bootstrap, names.links(name))):
            if isinstance(value, dict) and value.get("op") == "link":
                seen.add((name, str(value.get("source_id"))))
    return len(seen)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux ``/proc``), 0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


@dataclass
class Run:
    """One tether sync: how long, what it cost."""

    seconds: float
    first_link_s: float
    cpu_s: float
    webcrm: Calls
    customcrm: Calls
    writes: int


def run_tether(
    bootstrap: str,
    records: int,
    latency: float,
    *,
    present: str,
    timeout: float,
) -> Run:
    calls = {"webcrm": Calls(), "customcrm": Calls()}
    with WebcrmStandIn() as webcrm, CustomcrmStandIn() as customcrm, \
            tempfile.TemporaryDirectory() as home:  # fmt: skip
        seeded = seed(webcrm, records)
        if present == "copy":
            # The target as a copy made it: every record, every mapped value.
            asyncio.run(baseline(webcrm, customcrm, 16))
        elif present == "overlap":
            # Every record by its natural key, but not every value (no phones).
            for resource, rows in customcrm_overlap(seeded, fraction=1.0).items():
                customcrm.seed(resource, rows)
        customcrm.reset_counters()
        for name, standin in (("webcrm", webcrm), ("customcrm", customcrm)):
            # Tether keeps its own Webcrm limit (250/minute, the real one); the
            # stand-in's own is off so it never answers 429 on top of it.
            standin.set_faults(rate_limit=None, latency_ms=latency)
            calls[name].watch(standin)
        app_id = f"bench-{uuid.uuid4().hex[:8]}"
        local = LocalDeployment(
            bootstrap=bootstrap,
            app_id=app_id,
            home=Path(home),
            standins={"webcrm": webcrm, "customcrm": customcrm},
            flows=DOCUMENT,
            poll_interval=1.0,
        )
        try:
            started = time.monotonic()
            worker = local.start_worker()
            count = _waiter(bootstrap, app_id)
            local.wait_for(lambda: count() > 0, timeout=timeout, what="first link",
                           interval=0.2)  # fmt: skip
            first = time.monotonic()
            local.wait_for(lambda: count() >= records, timeout=timeout,
                           what="every record linked", interval=0.5)  # fmt: skip
            done = time.monotonic()
            cpu = cpu_seconds(worker.pid)
        finally:
            local.stop()
        if live(customcrm) != records:
            msg = f"target holds {live(customcrm)} records, expected {records}"
            raise SystemExit(msg)
        return Run(
            done - first,
            first - started,
            cpu,
            calls["webcrm"],
            calls["customcrm"],
            customcrm.write_count(),
        )


def _waiter(bootstrap: str, app_id: str) -> Callable[[], int]:
    return lambda: linked(bootstrap, app_id)


def run_baseline(records: int, latency: float, in_flight: int) -> float:
    with WebcrmStandIn() as webcrm, CustomcrmStandIn() as customcrm:
        seed(webcrm, records)
        for standin in (webcrm, customcrm):
            standin.set_faults(rate_limit=None, latency_ms=latency)
        started = time.monotonic()
        asyncio.run(baseline(webcrm, customcrm, in_flight))
        seconds = time.monotonic() - started
        if live(customcrm) != records:
            msg = f"baseline made {live(customcrm)} records, expected {records}"
            raise SystemExit(msg)
        return seconds


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _own_broker(home: Path) -> EmbeddedBroker:
    libs = os.environ.get("TETHER_BROKER_LIBS") or Path(".kafka") / "libs"
    port, controller = _free_port(), _free_port()
    settings = BrokerSettings(
        home=home, libs=Path(libs), port=port, controller_port=controller
    )
    return EmbeddedBroker(settings, mode=BrokerMode.OWNED).__enter__()


def describe(label: str, run: Run, records: int) -> str:
    busiest = (run.webcrm.by_path + run.customcrm.by_path).most_common(6)
    paths = ", ".join(f"{p} {n}" for p, n in busiest)
    return (
        f"{label:<28}{run.seconds:8.2f} s {records / run.seconds:8.1f} records/s"
        f"  (first link after {run.first_link_s:.1f} s, worker CPU {run.cpu_s:.1f} s)\n"
        f"  calls per record  customcrm {run.customcrm.per_record(records)}; "
        f"webcrm {run.webcrm.per_record(records)}\n"
        f"  busiest endpoints {paths}\n"
        f"  target writes     {run.writes}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=30.0, help="ms per request")
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--already-present", action="store_true")
    parser.add_argument(
        "--present-as",
        choices=("copy", "overlap"),
        default="copy",
        help="the target holds a direct copy (equal values), or every record "
        "with some values missing (each needs a write)",
    )
    parser.add_argument("--small", action="store_true", help="200 records: a check")
    args = parser.parse_args(argv)
    records = 200 if args.small else args.records
    timeout = max(600.0, records * 0.5)
    bootstrap = os.environ.get("TETHER_KAFKA_BOOTSTRAP", "")
    broker = None
    with tempfile.TemporaryDirectory() as broker_home:
        if not bootstrap:
            broker = _own_broker(Path(broker_home))
            bootstrap = broker.bootstrap
        try:
            base_s = run_baseline(records, args.latency, args.in_flight)
            empty = run_tether(bootstrap, records, args.latency, present="",
                               timeout=timeout)  # fmt: skip
            present = None
            if args.already_present:
                present = run_tether(bootstrap, records, args.latency,
                                     present=args.present_as,
                                     timeout=timeout)  # fmt: skip
        finally:
            if broker is not None:
                broker.__exit__(None, None, None)
    out = [
        f"records                     {records} (latency {args.latency:g} ms)\n",
        f"direct copy, {args.in_flight} in flight   {base_s:8.2f} s "
        f"{records / base_s:8.1f} records/s\n",
        describe("tether, empty target", empty, records),
        f"ratio tether/direct         {base_s / empty.seconds:8.2f}x throughput\n",
    ]
    if present is not None:
        out += [
            describe(f"tether, present ({args.present_as})", present, records),
            f"already present/empty       {present.seconds / empty.seconds:8.2f}x "
            "time\n",
        ]
    sys.stdout.write("".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
