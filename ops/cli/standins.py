"""``tether standins``: the seven systems' stand-ins in the foreground, until Ctrl-C.

Prints, per system, its URL and the environment that points a worker at it, so
``tether worker`` in another terminal syncs them.
"""

from __future__ import annotations

import argparse
import sys
import threading

from connectors.errors import ConfigurationError
from ops.cli import Command


def _run(args: argparse.Namespace) -> int:
    from devkit.standins import DEMO_SYSTEMS, StandIn, export_lines

    running: dict[str, StandIn] = {}
    try:
        for n, (system, demo) in enumerate(DEMO_SYSTEMS.items()):
            standin = demo.make()
            if args.port_base:
                standin = type(standin)(port=args.port_base + n)
            try:
                running[system] = standin.start()
            except OSError as exc:
                msg = f"cannot serve the {system} stand-in: {exc.strerror}"
                raise ConfigurationError(msg) from None
        if args.seed:
            for demo in DEMO_SYSTEMS.values():
                demo.seed(running)
        for system, standin in running.items():
            sys.stdout.write(f"# {system}: {standin.url}\n")
            for line in export_lines(standin.connector_env()):
                sys.stdout.write(line + "\n")
        sys.stdout.write("# admin: GET <url>/_admin/info; Ctrl-C stops.\n")
        sys.stdout.flush()
        stop = threading.Event()
        while not stop.wait(0.5):  # a bounded wait keeps Ctrl-C responsive
            pass
    except KeyboardInterrupt:
        return 0
    finally:
        for standin in running.values():
            standin.stop()
    return 0


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether standins``."""
    parser.add_argument(
        "--seed", action="store_true", help="fill them with the demo's sample data"
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=0,
        help="serve on consecutive ports from this one (0: free ports)",
    )


COMMAND = Command(
    "standins",
    help="serve local stand-ins of the seven systems until Ctrl-C",
    description=(
        "Real HTTP servers on 127.0.0.1 imitating the systems' APIs, driven "
        "through /_admin (seed, records, edit, writes, faults, reset)."
    ),
    options=_options,
    run=_run,
)
