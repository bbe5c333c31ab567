"""``tether broker start|stop|status``: the local Kafka broker, without Docker."""

from __future__ import annotations

import argparse
import sys
import time

from connectors.base.settings import load_settings
from connectors.errors import FatalError
from devkit.broker import BrokerMode, BrokerSettings, EmbeddedBroker
from ops.cli import Command

# ``status`` exits 3 when the broker is down, as ``systemctl status`` does.
EXIT_NOT_RUNNING = 3


def run(args: argparse.Namespace) -> int:
    """Run the chosen action; OS errors (permissions, full disk) become one line."""
    action = {"start": _start, "stop": _stop, "status": _status}[args.broker_action]
    try:
        return action(args)
    except OSError as exc:
        msg = f"broker {args.broker_action} failed: {exc}"
        raise FatalError(msg) from None


def _broker() -> EmbeddedBroker:
    settings = load_settings(BrokerSettings)
    return EmbeddedBroker(settings, mode=BrokerMode.DETACHED)


def _start(args: argparse.Namespace) -> int:
    broker = _broker()
    started = time.monotonic()
    broker.start(timeout=args.timeout)
    state = broker.status()
    sys.stdout.write(
        f"Kafka {state.version} at {state.bootstrap} (pid {state.pid}), "
        f"ready in {time.monotonic() - started:.1f}s; logs in {broker.logs_dir}\n"
    )
    return 0


def _stop(args: argparse.Namespace) -> int:
    broker = _broker()
    if broker.stop():
        sys.stdout.write(f"Kafka at {broker.bootstrap} stopped\n")
    else:
        sys.stdout.write(f"Kafka in {broker.home} was not running\n")
    return 0


def _status(args: argparse.Namespace) -> int:
    state = _broker().status()
    if not state.running:
        sys.stdout.write(f"Kafka in {state.home}: not running\n")
        return EXIT_NOT_RUNNING
    health = "answering" if state.answering else "NOT answering"
    sys.stdout.write(
        f"Kafka {state.version}: {health}\n"
        f"  bootstrap {state.bootstrap}\n"
        f"  pid       {state.pid}\n"
        f"  home      {state.home}\n"
    )
    return 0 if state.answering else 1


def _options(parser: argparse.ArgumentParser) -> None:
    """The three actions of ``tether broker``."""
    actions = parser.add_subparsers(dest="broker_action", required=True)
    start = actions.add_parser("start", help="start it in the background")
    start.add_argument(
        "--timeout", type=float, default=None, help="seconds to wait for it to answer"
    )
    actions.add_parser("stop", help="stop it (SIGTERM, then SIGKILL)")
    actions.add_parser("status", help="show bootstrap, pid and version")


COMMAND = Command(
    "broker",
    help="run a local Kafka broker from Maven jars (Java 17 needed)",
    description=(
        "Single-node KRaft Kafka on 127.0.0.1, kept in ./.kafka. Settings come "
        "from TETHER_BROKER_* (HOME, LIBS, PORT, CONTROLLER_PORT, HEAP)."
    ),
    options=_options,
    run=run,
)
