"""Initial-sync throughput: tether (broker + worker) against a direct copy baseline.

Both runs move the same Webcrm sample into an empty Customcrm stand-in on this
machine. The baseline is the least any sync could do: read every record through
the Webcrm connector and create it through the Customcrm connector, one by one,
with no Kafka, no link table, no matching. The ratio says what tether's
guarantees (durable events, links, matching, echo suppression) cost.

    .venv/bin/python bench/sync_throughput.py [--organisations 100 --persons 400]

Uses TETHER_KAFKA_BOOTSTRAP when set, else starts a broker like `tether demo`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from connectors import build_connector
from dataflows import flows_by_name, load_documents
from devkit.broker import BrokerMode, BrokerSettings, EmbeddedBroker
from devkit.local import LocalDeployment
from engine.mapping import project_source, target_changes
from standins import CustomcrmStandIn, WebcrmStandIn
from standins.webcrm import seed_webcrm

TARGET_OF = {"Organisations": "Customer", "Persons": "Contact", "Products": "Product"}
RESOURCES = ("customers", "contacts", "products")


def live(customcrm: CustomcrmStandIn) -> int:
    return sum(len(customcrm.records(r)) for r in RESOURCES)


async def baseline(webcrm: WebcrmStandIn, customcrm: CustomcrmStandIn) -> None:
    """Read all, map, create one by one: the floor any sync must pay."""
    flows = {f.source.type: f for f in flows_by_name(load_documents()).values()
             if f.source.system == "webcrm"}  # fmt: skip
    os.environ.update(webcrm.connector_env() | customcrm.connector_env())
    ids: dict[str, str] = {}
    async with (
        build_connector("webcrm") as source,
        build_connector("customcrm") as sink,
    ):
        for entity in source.source.entities():
            flow = flows[entity]
            async for page in source.source.read(entity, None):
                for event in page.events:
                    values = project_source(
                        flow, event.data, lambda _f, sid: ids.get(sid, "")
                    )
                    created = await sink.sink.create(
                        TARGET_OF[entity],
                        target_changes(flow, values),
                        idempotency_key=f"bench-{entity}-{event.id}",
                    )
                    if entity == "Organisations":
                        ids[event.id] = created.id


def run_tether(bootstrap: str, webcrm: WebcrmStandIn, customcrm: CustomcrmStandIn,
               expected: int, home: Path) -> float:  # fmt: skip
    local = LocalDeployment(
        bootstrap=bootstrap,
        app_id=f"bench-{uuid.uuid4().hex[:8]}",
        home=home,
        standins={"webcrm": webcrm, "customcrm": customcrm},
        flows="webcrm-customcrm",
        poll_interval=0.5,
    )
    try:
        local.start_worker()
        # Time from the worker's first poll, not its start-up: wait for readiness.
        local.wait_for(lambda: live(customcrm) > 0, timeout=300, what="first record",
                       interval=0.05)  # fmt: skip
        started = time.monotonic()
        local.wait_for(lambda: live(customcrm) >= expected, timeout=900,
                       what="full sync", interval=0.05)  # fmt: skip
        return time.monotonic() - started
    finally:
        local.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=100)
    parser.add_argument("--persons", type=int, default=400)
    parser.add_argument("--products", type=int, default=60)
    args = parser.parse_args()
    sizes = {"organisations": args.organisations, "persons": args.persons,
             "products": args.products}  # fmt: skip
    expected = sum(sizes.values())
    bootstrap = os.environ.get("TETHER_KAFKA_BOOTSTRAP", "")
    broker = None
    if not bootstrap:
        broker = EmbeddedBroker(BrokerSettings(), mode=BrokerMode.OWNED).__enter__()
        bootstrap = broker.bootstrap
    try:
        # Webcrm's 250 requests/minute would make both runs measure the limit, not
        # the code; the limit's handling has its own tests.
        with WebcrmStandIn() as w1, CustomcrmStandIn() as c1:
            w1.set_faults(rate_limit=None)
            seed_webcrm(w1, **sizes)
            started = time.monotonic()
            asyncio.run(baseline(w1, c1))
            base_s = time.monotonic() - started
            assert live(c1) == expected, live(c1)
        with WebcrmStandIn() as w2, CustomcrmStandIn() as c2, \
                tempfile.TemporaryDirectory() as home:  # fmt: skip
            w2.set_faults(rate_limit=None)
            seed_webcrm(w2, **sizes)
            tether_s = run_tether(bootstrap, w2, c2, expected, Path(home))
            assert live(c2) == expected, live(c2)
            writes = c2.write_count()
    finally:
        if broker is not None:
            broker.__exit__(None, None, None)
    sys.stdout.write(
        f"records            {expected}\n"
        f"baseline (direct)  {base_s:7.2f} s  {expected / base_s:8.1f} records/s\n"
        f"tether (Kafka)     {tether_s:7.2f} s  {expected / tether_s:8.1f} records/s\n"
        f"ratio tether/base  {tether_s / base_s:7.2f}x time\n"
        f"tether API writes  {writes} (exactly one per record: {writes == expected})\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
