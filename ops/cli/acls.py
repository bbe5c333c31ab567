"""``tether acls``: every topic and group of the deployment, and the ACLs it needs."""

from __future__ import annotations

import argparse
import os
import sys

import orjson

from ops.cli import Command
from ops.cli._options import add_app_id, add_json
from ops.cli.verify import stream_settings


def run(args: argparse.Namespace) -> int:
    """Print the topics, groups and ACLs of the configured app id and flows."""
    from connectors import REGISTRY
    from dataflows import flows_by_name, load_documents
    from engine.selection import configured_systems, select_flows
    from ops.acls import SUBSCRIBER, WORKER, layout
    from ops.acls.render import kafka_acls_lines, render_json, render_text

    settings = stream_settings(args.app_id)
    # Without any system configured (an admin's machine), every system's flows.
    available = configured_systems(os.environ) or set(REGISTRY)
    flows = select_flows(flows_by_name(load_documents()), settings.flows, available)
    systems = {ref.system for f in flows.values() for ref in (f.source, f.target)}
    found = layout(settings.app_id, flows.values(), grants="crmoffice" in systems)
    principals = {WORKER: args.principal, SUBSCRIBER: args.subscriber_principal}
    if args.json:
        text = orjson.dumps(render_json(found, principals)).decode() + "\n"
    elif args.format == "kafka-acls":
        lines = kafka_acls_lines(
            found, principals, settings.kafka_bootstrap, prefixed=args.prefixed
        )
        text = "\n".join(lines) + "\n"
    else:
        text = render_text(found, principals)
    sys.stdout.write(text)
    return 0


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether acls``."""
    parser.add_argument(
        "--principal",
        default="User:worker",
        metavar="PRINCIPAL",
        help="the workers' principal",
    )
    parser.add_argument(
        "--subscriber-principal",
        default="User:reader",
        metavar="PRINCIPAL",
        help="a read-only subscriber's principal",
    )
    parser.add_argument(
        "--format",
        choices=("table", "kafka-acls"),
        default="table",
        help="`kafka-acls`: ready-to-run kafka-acls.sh --add lines",
    )
    parser.add_argument(
        "--prefixed",
        action="store_true",
        help="with --format kafka-acls: by the app id's prefixes, not per topic",
    )
    add_json(parser)
    add_app_id(parser)


COMMAND = Command(
    "acls",
    help="every topic and consumer group of the deployment, and the ACLs needed",
    description=(
        "List, for TETHER_APP_ID and the flows TETHER_FLOWS selects (every"
        " flow when no system is configured), every topic (what it carries,"
        " whether it is compacted), every consumer group, and the ACLs a worker"
        " and a read-only subscriber need: per topic, or by the app id's"
        " prefixes. Nothing is read from or written to Kafka."
    ),
    options=_options,
    run=run,
)
