"""``tether standins``: run the Webcrm and Customcrm stand-ins in the foreground."""

from __future__ import annotations

import argparse
import sys
import threading

from connectors.errors import ConfigurationError
from standins.base import StandIn
from standins.customcrm import CustomcrmStandIn
from standins.sample_data import customcrm_overlap, webcrm_sample
from standins.webcrm import WebcrmStandIn


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``standins`` to the ``tether`` parser."""
    parser = subparsers.add_parser(
        "standins",
        help="serve local stand-ins of Webcrm and Customcrm until Ctrl-C",
        description=(
            "Real HTTP servers on 127.0.0.1 imitating the Webcrm and Customcrm APIs, "
            "driven through /_admin (seed, records, edit, writes, faults, reset)."
        ),
    )
    parser.add_argument(
        "--seed",
        type=int,
        nargs="?",
        const=1,
        default=None,
        metavar="N",
        help="fill them with sample data from random seed N (default 1)",
    )
    parser.add_argument(
        "--overlap",
        type=float,
        default=0.2,
        help="with --seed: share of Webcrm records that already exist in Customcrm",
    )
    parser.add_argument(
        "--webcrm-port", type=int, default=0, help="0 picks a free port"
    )
    parser.add_argument(
        "--customcrm-port", type=int, default=0, help="0 picks a free port"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    webcrm = WebcrmStandIn(port=args.webcrm_port)
    customcrm = CustomcrmStandIn(port=args.customcrm_port)
    running: list[StandIn] = []
    try:
        both: tuple[StandIn, ...] = (webcrm, customcrm)
        for standin in both:
            try:
                running.append(standin.start())
            except OSError as exc:
                msg = f"cannot serve the {standin.system} stand-in: {exc.strerror}"
                raise ConfigurationError(msg) from None
        if args.seed is not None:
            data = webcrm_sample(seed=args.seed)
            for entity, records in data.items():
                webcrm.seed(entity, records)
            overlap = customcrm_overlap(data, fraction=args.overlap, seed=args.seed)
            for resource, records in overlap.items():
                customcrm.seed(resource, records)
        for standin in running:
            creds = "  ".join(f"{k}={v}" for k, v in standin.credentials().items())
            sys.stdout.write(f"{standin.system:<10} {standin.url}  {creds}\n")
        sys.stdout.write("admin: GET <url>/_admin/info; Ctrl-C stops.\n")
        sys.stdout.flush()
        # Event().wait() without a timeout would block Ctrl-C on some platforms.
        stop = threading.Event()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        return 0
    finally:
        for standin in running:
            standin.stop()
    return 0
