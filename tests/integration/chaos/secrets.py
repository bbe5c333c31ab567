"""Scan everything a chaos run left behind for the credentials it ran with.

Every worker log line (errors and tracebacks included) and every message on
every topic of the deployment (dead letters, reports, conflicts, change events,
changelogs) is searched for the stand-ins' credentials and the access and
refresh tokens Webcrm issued during the run.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer

from tests.integration.chaos import kafka_ops
from tests.integration.chaos.run import ChaosRun


@dataclass
class Scan:
    """What was searched and where a secret turned up."""

    scanned_lines: int = 0
    scanned_messages: int = 0
    hits: list[str] = field(default_factory=list)


def known_secrets(run: ChaosRun) -> list[str]:
    """The credentials of the run plus every token the Webcrm stand-in issued."""
    tokens = run.webcrm.tokens
    issued = [*tokens._access, *tokens._refresh]  # noqa: SLF001 - test introspection
    return [run.webcrm.auth_code, run.customcrm.api_key, *issued]


def scan_for_secrets(run: ChaosRun) -> Scan:
    """Search the worker logs and all of the deployment's topics."""
    secrets = known_secrets(run)
    assert len(secrets) > 2, "Webcrm issued no token: the scan would prove little"
    scan = Scan()
    for log in sorted(run.local.home.glob("worker-*.log")):
        for number, line in enumerate(log.read_text(errors="replace").splitlines()):
            scan.scanned_lines += 1
            for secret in secrets:
                if secret in line:
                    scan.hits.append(f"{log.name}:{number + 1}: {secret[:6]}...")
    found, messages = asyncio.run(_scan_topics(run, [s.encode() for s in secrets]))
    scan.scanned_messages = messages
    scan.hits += found
    return scan


async def _scan_topics(run: ChaosRun, secrets: list[bytes]) -> tuple[list[str], int]:
    bootstrap = run.local.bootstrap
    topics = await kafka_ops.topics_with_prefix(bootstrap, run.local.app_id)
    tps = await kafka_ops.partitions(bootstrap, topics)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    hits: list[str] = []
    count = 0
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        pending = {tp for tp in tps if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(timeout_ms=1000)
            if not batch:
                break
            for tp, messages in batch.items():
                for message in messages:
                    count += 1
                    raw = (message.key or b"") + b"\0" + (message.value or b"")
                    raw += b"".join(v for _, v in message.headers or ())
                    hits += [
                        f"{tp.topic}@{message.offset}"
                        for secret in secrets
                        if secret in raw
                    ]
                    if message.offset + 1 >= ends[tp]:
                        pending.discard(tp)
        return hits, count
    finally:
        await consumer.stop()
