"""``tether demo``: the whole product on one machine, showing what it synced.

Starts a Kafka broker unless ``TETHER_KAFKA_BOOTSTRAP`` names one, starts the
stand-ins of the systems with sample data, runs a worker, prints per flow what
was linked, created and matched, and keeps syncing until Ctrl-C (``--once``:
exit after the first full sync).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.base.settings import load_settings
from connectors.errors import FatalError
from ops.cli import Command

if TYPE_CHECKING:  # the demo imports faust-free modules only when it runs
    from devkit.local import LocalDeployment
    from ops.demo import DemoState
    from schemas.dataflow import Flow


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    """Run the demo; the exit code is 0 when the first sync completed."""
    from dataflows import flows_by_name, load_documents
    from devkit.broker import BrokerMode, BrokerSettings, EmbeddedBroker
    from devkit.local import LocalDeployment
    from devkit.standins import DEMO_SYSTEMS, source_counts, start_demo_standins
    from engine.selection import select_flows
    from ops.demo import collect, render

    flows = list(
        select_flows(flows_by_name(load_documents()), "all", set(DEMO_SYSTEMS)).values()
    )
    with ExitStack() as stack:
        bootstrap = os.environ.get("TETHER_KAFKA_BOOTSTRAP", "").strip()
        if not bootstrap:
            started = time.monotonic()
            broker = EmbeddedBroker(
                load_settings(BrokerSettings), mode=BrokerMode.OWNED
            )
            _say("starting Kafka (first run downloads its jars from Maven Central) ...")
            # Reuses a broker `tether broker start` left running, and stops only
            # one it started itself.
            stack.enter_context(broker)
            bootstrap = broker.bootstrap
            _say(f"Kafka at {bootstrap} ready after {time.monotonic() - started:.1f}s")
        standins = start_demo_standins()
        for standin in standins.values():
            stack.callback(standin.stop)
        for system, standin in standins.items():
            counts = ", ".join(
                f"{k} {v}" for k, v in source_counts(standin).items() if v
            )
            _say(f"stand-in {system:<10} {standin.url}  ({counts or 'empty'})")
        app_id = "demo-" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        local = LocalDeployment(
            bootstrap=bootstrap,
            app_id=app_id,
            home=args.home / app_id,
            standins=standins,
            flows=",".join(f.name for f in flows),
            push=not args.no_push,  # webhooks where the API has them; polls go on
        )
        stack.callback(local.stop)
        local.start_worker()
        _say(f"worker started (app {app_id}); log: {local.log_path('w1')}")
        _say(f"status page: {local.web_url('w1')}/")
        if local.push:
            _say(
                f"webhooks to {local.receiver_url('w1')}/hooks/<system> from webcrm, "
                "chargebee, customcrm, customwebshop (the others are polled)"
            )
        state = _wait_until_settled(local, flows, args.timeout)
        _say("\nfirst sync complete:\n" + render(state))
        if args.once:
            return 0
        _say(
            "\nsyncing until Ctrl-C; edit records through a stand-in's admin API,\n"
            f"  curl -X POST {standins['customcrm'].url}/_admin/edit/customers/<Id> "
            "-H 'content-type: application/json' -d '{\"City\": \"Bergen\"}'"
        )
        last = state.fingerprint()
        while True:
            time.sleep(5)
            local.assert_workers_alive()
            state = collect(local, flows)
            if state.fingerprint() != last:
                last = state.fingerprint()
                _say(
                    f"\n{datetime.now(UTC):%H:%M:%S} changes synced:\n" + render(state)
                )
    return 0


def _wait_until_settled(
    local: LocalDeployment, flows: list[Flow], timeout: float
) -> DemoState:
    from ops.demo import collect

    deadline = time.monotonic() + timeout
    quiet_needed = max(6.0, 4 * local.poll_interval)
    last, quiet_since = None, time.monotonic()
    while time.monotonic() < deadline:
        local.assert_workers_alive()
        state = collect(local, flows)
        linked = sum(f.linked for f in state.flows)
        _say(f"  ... {linked} links, writes {state.writes}")
        if state.fingerprint() != last:
            last, quiet_since = state.fingerprint(), time.monotonic()
        elif linked and time.monotonic() - quiet_since >= quiet_needed:
            return state
        time.sleep(2)
    log = local.log_path("w1")
    msg = f"the first sync did not settle within {timeout:.0f}s; see {log}"
    raise FatalError(msg)


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether demo``."""
    parser.add_argument("--once", action="store_true", help="exit after the first sync")
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds to wait for the first sync",
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=Path("var/demo"),
        help="where each run keeps its worker state and logs (a folder per run)",
    )
    parser.add_argument("--no-push", action="store_true", help="poll only, no webhooks")


COMMAND = Command(
    "demo",
    help="run tether against local stand-ins of the systems, with sample data",
    options=_options,
    run=run,
)
