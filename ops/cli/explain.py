"""``tether explain SYSTEM TYPE ID``: one entity's history across flows and hops."""

from __future__ import annotations

import argparse
import asyncio
import sys

from connectors.errors import ConfigurationError
from ops.cli import Command
from ops.cli._options import add_app_id, add_json
from ops.cli.verify import stream_settings
from schemas.dataflow import Flow
from streams.kafka_io import existing_topics
from streams.settings import StreamSettings


def explained_flows(settings: StreamSettings) -> dict[str, Flow]:
    """The flows ``TETHER_FLOWS`` names, whether or not this shell has credentials.

    explain reads only Kafka: an operator asks from anywhere that reaches the
    broker. A flow that never ran has no link table and simply links nothing.
    """
    from connectors import REGISTRY
    from dataflows import flows_by_name, load_documents
    from engine.selection import select_flows

    return select_flows(flows_by_name(load_documents()), settings.flows, set(REGISTRY))


async def _check_deployment(settings: StreamSettings) -> None:
    prefix = f"{settings.app_id}."
    if not any(
        t.startswith(prefix) for t in await existing_topics(settings.kafka_bootstrap)
    ):
        msg = (
            f"no topic of app id {settings.app_id!r} on {settings.kafka_bootstrap}:"
            " set TETHER_APP_ID (or --app-id) to the deployment's"
        )
        raise ConfigurationError(msg)


def run(args: argparse.Namespace) -> int:
    """Print the entity's chain and timeline; 0 when found, 1 when nothing is known."""
    from ops.explain import entity_node, explain_entity, render_json, render_text

    settings = stream_settings(args.app_id)
    start = entity_node(args.system, args.type, args.id)
    flows = explained_flows(settings)
    asyncio.run(_check_deployment(settings))
    explanation = asyncio.run(explain_entity(settings, flows, start))
    sys.stdout.write(
        render_json(explanation) if args.json else render_text(explanation)
    )
    sys.stdout.flush()
    if not explanation.found:
        sys.stderr.write(
            f"tether: nothing known about {start} in {settings.app_id}: check the"
            " system, type and id (ids are the system's own), or it was never"
            " read or written\n"
        )
        return 1
    return 0


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether explain``."""
    parser.add_argument("system", help="the system, e.g. membercare")
    parser.add_argument("type", help="the entity type, e.g. Companies")
    parser.add_argument("id", help="the entity's id in that system")
    add_json(parser)
    add_app_id(parser)


COMMAND = Command(
    "explain",
    help="show one entity's history across flows and hops, in time order",
    description=(
        "Follow the entity's links through every flow of TETHER_FLOWS, hop by hop"
        " (a Membercare company -> its Customwebshop customer -> that customer's"
        " Chargebee business entity), and print the chain of linked ids per"
        " flow, then one timeline: the change events seen on the entity topics,"
        " links made and removed, every write tether made ({app}.writes: create,"
        " update with each property's value before and after, match, delete,"
        " unlink, and why), conflicts with their winner, reports and dead"
        " letters. It reads the retained topics whole, so it takes longer as"
        " they grow. Exit code 0: the entity is known; 1: nothing is known about"
        " it; 78: configuration (64: usage)."
    ),
    options=_options,
    run=run,
)
