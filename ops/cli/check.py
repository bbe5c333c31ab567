"""``tether check``: every setting, each configured system and the broker, read-only."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from ops.cli import EX_CONFIG, EX_UNAVAILABLE, Command
from ops.cli._options import add_json


def run(args: argparse.Namespace) -> int:
    """Run every check; print the findings; the exit code says what failed."""
    from ops.check.deployment import check_deployment
    from ops.check.findings import exit_code, render

    if not args.verbose:
        # The findings say it all: logins and left-out flows only with -v.
        logging.getLogger().setLevel(logging.WARNING)
    findings = asyncio.run(check_deployment(os.environ, answer_within=args.timeout))
    sys.stdout.write(render(findings, as_json=args.json))
    return exit_code(findings)


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether check``."""
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long each system and the broker may take to answer",
    )
    add_json(parser)


COMMAND = Command(
    "check",
    help="check settings, log in to each system, reach the broker; change nothing",
    description=(
        "Validate every setting (TETHER_* and each configured system's), select"
        " the flows TETHER_FLOWS names, log in to every configured system and read"
        " one page of each type those flows use, and ask the Kafka brokers for"
        " their metadata. Nothing is written: no topic is created, no record"
        " changed. Each check is reported ok or with the exact problem (the"
        f" variable to fix, the system that refused). Exit code 0: all ok;"
        f" {EX_CONFIG}: a setting is missing or wrong, or credentials were refused;"
        f" {EX_UNAVAILABLE}: a system or the broker did not answer (settings fine)."
        " The topics, consumer groups and ACLs the deployment needs: `tether acls`."
    ),
    options=_options,
    run=run,
)
