"""``tether links``: a flow's links (both ids, how, when, the last agreed values)."""

from __future__ import annotations

import argparse
import asyncio
import sys

import orjson

from ops.cli import Command
from ops.cli._options import add_app_id, add_json
from ops.cli.pause import known_flows
from ops.cli.verify import stream_settings
from ops.control import check_flows


def run(args: argparse.Namespace) -> int:
    """Show one link, or the table of them."""
    from dataflows import flows_by_name, load_documents
    from ops.links import link_json, links_json, read_links, render_one, render_table

    check_flows([args.flow], known_flows())
    flow = flows_by_name(load_documents())[args.flow]
    settings = stream_settings(args.app_id)
    one = args.id is not None
    found = asyncio.run(read_links(settings, flow, unlinked=one))
    if one:
        text, linked = render_one(found, flow, args.id)
        if args.json:
            text = orjson.dumps(link_json(found, args.id)).decode() + "\n"
        sys.stdout.write(text)
        return 0 if linked else 1
    if args.json:
        sys.stdout.write(orjson.dumps(links_json(found, args.limit)).decode() + "\n")
    else:
        sys.stdout.write(render_table(found, flow, args.limit))
    return 0


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether links``."""
    parser.add_argument("flow", metavar="FLOW", help="the flow")
    parser.add_argument(
        "id",
        nargs="?",
        metavar="ID",
        help="one link in full: a source id, or a target id (default: the table)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=100,
        metavar="N",
        help="rows of the table (0: all; default: %(default)s)",
    )
    add_json(parser)
    add_app_id(parser)


COMMAND = Command(
    "links",
    help="a flow's links from its link table (with ID: one link in full)",
    description=(
        "Read from the flow's link table changelog: source id, target id, how"
        " they were linked, when, when each side was last seen, and (for one"
        " link) the values both sides last agreed on. Tombstones (a deleted"
        " target remembered so it is not created again) are no links and are"
        " listed after them. With ID, exit code 1 when it is not linked."
    ),
    options=_options,
    run=run,
)
