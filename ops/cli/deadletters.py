"""``tether deadletters``: list what is outstanding, re-drive it after a fix."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

import orjson

from connectors.errors import ConfigurationError
from ops.cli import Command
from ops.cli._options import add_app_id, add_json
from ops.cli.verify import stream_settings
from ops.deadletters import (
    Entry,
    RedrivePorts,
    RedriveResult,
    outstanding,
    redrive,
    redriven_topic,
    select,
)
from ops.verify.render import clip, plural, text_table
from schemas.utc import utc_text
from streams.kafka_io import existing_topics, publisher, read_latest
from streams.provision import TopicSpec, ensure_topics
from streams.settings import StreamSettings
from streams.topics import TopicNames

_REASON_WIDTH = 100


def run(args: argparse.Namespace) -> int:
    """List or re-drive; the exit code says whether everything was re-driven."""
    settings = stream_settings(args.app_id)
    if args.action == "list":
        entries, _ = asyncio.run(load(settings))
        entries = select(entries, args.system, args.entity)
        sys.stdout.write(render_list(entries, as_json=args.json))
        return 0
    results = asyncio.run(redrive_deployment(settings, args.system, args.entity))
    sys.stdout.write(render_redrive(results, as_json=args.json))
    return 0 if all(r.done for r in results) else 1


async def load(settings: StreamSettings) -> tuple[list[Entry], set[str]]:
    """The outstanding dead letters, and the topics that exist."""
    names = TopicNames(settings.app_id)
    present = await existing_topics(settings.kafka_bootstrap)
    if names.deadletters not in present:
        msg = (
            f"topic {names.deadletters} does not exist: no worker has run with app id"
            f" {settings.app_id!r} on {settings.kafka_bootstrap}"
        )
        raise ConfigurationError(msg)
    letters = await read_latest(settings.kafka_bootstrap, names.deadletters)
    markers = await read_latest(settings.kafka_bootstrap, redriven_topic(names))
    return outstanding(letters, markers, names), present


async def redrive_deployment(
    settings: StreamSettings, system: str | None = None, entity: str | None = None
) -> list[RedriveResult]:
    """Re-drive the outstanding dead letters (of ``system``/``entity``)."""
    from connectors import REGISTRY, build_connector

    names = TopicNames(settings.app_id)
    entries, present = await load(settings)
    entries = select(entries, system, entity)
    if not entries:
        return []
    marker_topic = redriven_topic(names)
    spec = TopicSpec(marker_topic, settings.partitions, compacted=True)
    await ensure_topics(settings.kafka_bootstrap, [spec], settings.replication_factor)
    async with AsyncExitStack() as stack:
        send = await stack.enter_async_context(publisher(settings.kafka_bootstrap))
        systems = sorted({e.system for e in entries} & REGISTRY.keys())
        connectors = {
            s: await stack.enter_async_context(build_connector(s)) for s in systems
        }

        ports = RedrivePorts(
            sink=lambda s: connectors[s].sink if s in connectors else None,
            publish=lambda topic, event: send(
                topic, event.id, event.model_dump(mode="json")
            ),
            mark=lambda key, marker: send(
                marker_topic, key, marker.model_dump(mode="json")
            ),
            topic_exists=lambda topic: topic in present,
        )
        return await redrive(entries, names, ports)


def _when(entry: Entry) -> str:
    return utc_text(entry.letter.failed_at, timespec="seconds", sep=" ")


def letter_dict(entry: Entry) -> dict[str, Any]:
    """A dead letter for machines: coordinates and reason, never the payload."""
    letter = entry.letter
    return {
        "key": entry.key,
        "system": entry.system,
        "entity": entry.entity,
        "record_id": entry.record_id,
        "stage": letter.stage,
        "reason": letter.reason,
        "error_type": letter.error_type,
        "flow": letter.flow,
        "failed_at": utc_text(letter.failed_at, zulu=False),
        "topic": letter.topic,
        "partition": letter.partition,
        "offset": letter.offset,
    }


def render_list(entries: Sequence[Entry], *, as_json: bool) -> str:
    """The outstanding dead letters as a table, or JSON."""
    if as_json:
        document = {
            "outstanding": len(entries),
            "dead_letters": [letter_dict(e) for e in entries],
        }
        return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    lines: list[str] = []
    if entries:
        rows = [
            [e.system, e.entity, e.record_id, e.letter.stage, _when(e),
             clip(e.letter.reason, _REASON_WIDTH)]
            for e in entries
        ]  # fmt: skip
        headers = ["SYSTEM", "TYPE", "ID", "STAGE", "WHEN", "REASON"]
        lines += [*text_table(headers, rows), ""]
    lines.append(f"{plural(len(entries), 'dead letter')} outstanding")
    return "\n".join(lines) + "\n"


def render_redrive(results: Sequence[RedriveResult], *, as_json: bool) -> str:
    """What a re-drive did, per dead letter, with a summary."""
    counts = {
        action: sum(1 for r in results if r.action.value == action)
        for action in ("republished", "gone", "failed", "skipped")
    }
    if as_json:
        document = {
            "summary": counts,
            "results": [
                {**letter_dict(r.entry), "action": r.action.value, "detail": r.detail}
                for r in results
            ],
        }
        return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    lines: list[str] = []
    if results:
        rows = [
            [r.entry.system, r.entry.entity, r.entry.record_id, r.entry.letter.stage,
             r.action.value, clip(r.detail, _REASON_WIDTH)]
            for r in results
        ]  # fmt: skip
        headers = ["SYSTEM", "TYPE", "ID", "STAGE", "ACTION", "DETAIL"]
        lines += [*text_table(headers, rows), ""]
    lines.append(
        f"{plural(len(results), 'dead letter')}: {counts['republished']} re-published, "
        f"{counts['gone']} gone, {counts['failed']} failed, {counts['skipped']} skipped"
    )
    return "\n".join(lines) + "\n"


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether deadletters``."""
    parser.add_argument(
        "action",
        nargs="?",
        choices=("list", "redrive"),
        default="list",
        help="list them, or re-drive them",
    )
    parser.add_argument("--system", help="only this system (e.g. webcrm)")
    parser.add_argument("--entity", help="only this entity type (e.g. Products)")
    add_json(parser)
    add_app_id(parser)


COMMAND = Command(
    "deadletters",
    help="list outstanding dead letters, or re-drive them after a fix",
    description=(
        "list: the records tether could not process and nobody re-drove yet"
        " (system, type, id, stage, reason, when). redrive: publish each again"
        " onto its entity topic (re-read through the connector when it failed"
        " at the source), so the flows process it once more; exit code 1 when"
        " some could not be re-driven."
    ),
    options=_options,
    run=run,
)
