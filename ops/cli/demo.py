"""``tether demo``: the whole product on one machine, showing what it synced.

Starts a Kafka broker unless ``TETHER_KAFKA_BOOTSTRAP`` names one, starts the
stand-ins of the systems with sample data, runs a worker, prints per flow what
was linked, created and matched, and keeps syncing until Ctrl-C (``--once``:
exit after the first full sync).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import signal
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
    from schemas.observe import FirstSync


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    """Run the demo; the exit code is 0 when the first sync completed."""
    from dataflows import flows_by_name, load_documents
    from devkit.broker import BrokerMode, BrokerSettings, EmbeddedBroker
    from devkit.local import LocalDeployment
    from devkit.standins import (
        DEMO_SYSTEMS,
        export_lines,
        source_counts,
        start_demo_standins,
    )
    from engine.selection import select_flows
    from ops.demo import collect, demo_env, explain_creates, follow_writes, render

    # A SIGTERM (``timeout``, a container stop) unwinds like Ctrl-C: the worker
    # runs in its own session and would otherwise outlive the demo.
    signal.signal(signal.SIGTERM, _stop)
    if not getattr(args, "verbose", False):
        # The demo prints its stand-ins itself.
        logging.getLogger("standins").setLevel(logging.WARNING)
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
            extra_env=_passed_on(),
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
        _say(
            "\nto look at it with `tether status`, `tether verify` or "
            "`tether deadletters` from another shell, while the demo runs:"
        )
        # Local demo keys only, printed for copying and never logged.
        env = demo_env(bootstrap, app_id, standins)
        _say("\n".join(f"  {line}" for line in export_lines(env)) + "\n")
        state = _wait_until_settled(local, flows, args.timeout)
        _say("\nfirst sync complete:\n" + render(state))
        why = explain_creates(flows)
        if why:
            _say("\n" + "\n".join(why))
        if args.once:
            return 0
        _say(
            "\nsyncing until Ctrl-C; edit records through a stand-in's admin API,\n"
            f"  curl -X POST {standins['customcrm'].url}/_admin/edit/customers/<Id> "
            "-H 'content-type: application/json' -d '{\"City\": \"Bergen\"}'"
        )
        _, since = follow_writes(local, {})  # the first sync's writes are told
        last, told = state.fingerprint(), 0
        for tick in itertools.count(1):
            time.sleep(2)
            local.assert_workers_alive()
            lines, since = follow_writes(local, since)
            for line in lines:
                _say(line)
            told += len(lines)
            if tick % 3:
                continue  # the whole state, which reads every topic, less often
            state = collect(local, flows)
            if state.fingerprint() != last:
                last = state.fingerprint()
                if not told:  # no write records (older workers): the whole table
                    _say(f"\n{datetime.now(UTC):%H:%M:%S} changes synced:\n")
                    _say(render(state))
                told = 0
    return 0


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _passed_on() -> dict[str, str]:
    """The demo's own settings its worker shares (the log format)."""
    return {k: v for k, v in os.environ.items() if k.startswith("TETHER_LOG_")}


def _wait_until_settled(
    local: LocalDeployment, flows: list[Flow], timeout: float
) -> DemoState:
    from ops.demo import collect

    deadline = time.monotonic() + timeout
    quiet_needed = max(6.0, 4 * local.poll_interval)
    last, quiet_since = None, time.monotonic()
    progress = _Progress()
    _say("first sync, per flow as it moves: records handled/read, rate, time left")
    while time.monotonic() < deadline:
        local.assert_workers_alive()
        state = collect(local, flows)
        linked = sum(f.linked for f in state.flows)
        writes = sum(state.writes.values())
        _say(f"  ... {linked} links, {writes} API writes")
        for line in progress.lines(local, state):
            _say(line)
        if state.fingerprint() != last:
            last, quiet_since = state.fingerprint(), time.monotonic()
        elif linked and time.monotonic() - quiet_since >= quiet_needed:
            return state
        time.sleep(2)
    log = local.log_path("w1")
    msg = f"the first sync did not settle within {timeout:.0f}s; see {log}"
    raise FatalError(msg)


class _Progress:
    """Each flow's first sync (handled, rate, time left), told as it moves.

    ``first_syncs`` reads it from the demo's own counts; the deployment's status
    (``FlowStatus.first_sync``) can stand in for it, the rendering stays.
    """

    WINDOW = 20.0
    """Seconds of history the rate is taken over."""

    def __init__(self) -> None:
        self.seen: dict[str, list[tuple[float, int]]] = {}
        self.shown: dict[str, tuple[int, int]] = {}

    def lines(self, local: LocalDeployment, state: DemoState) -> list[str]:
        """A line per flow whose count moved since the last look."""
        from ops.demo import render_first_sync

        out = []
        for name, sync in self.first_syncs(local, state).items():
            counts = (sync.handled, sync.remaining)
            if not sum(counts) or self.shown.get(name) == counts:
                continue  # nothing read yet, or told already
            self.shown[name] = counts
            out.append(render_first_sync(name, sync))
        return out

    def first_syncs(
        self, local: LocalDeployment, state: DemoState
    ) -> dict[str, FirstSync]:
        """Each flow's first sync from links and reports against source records."""
        from ops.demo import first_sync_from_counts, source_totals

        totals = source_totals(local, [s.flow for s in state.flows])
        now, out = time.monotonic(), {}
        for summary in state.flows:
            name = summary.flow.name
            handled = summary.linked + summary.unmatched + summary.ambiguous
            seen = self.seen.setdefault(name, [])
            seen.append((now, handled))
            while len(seen) > 2 and now - seen[1][0] >= self.WINDOW:
                seen.pop(0)
            then, handled_then = seen[0]
            out[name] = first_sync_from_counts(
                handled, totals[name], then, now, handled_then
            )
        return out


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
