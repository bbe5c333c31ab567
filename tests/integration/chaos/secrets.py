"""One scanner for credentials: log files, command outputs, pages, every topic.

A secret is searched in the forms it could leak in: as is, percent-encoded
(a query string, a form body) and base64-encoded at each of the three byte
alignments (an HTTP Basic header, a JWT segment, a value inside an encoded
blob), standard and URL-safe. Only full base64 groups of the secret itself are
searched, so what stands around it in the encoded text does not matter.

The chaos run (``scan_for_secrets``) and the seven-system scan
(``test_secrets_everywhere``) both search through ``SecretScanner``.
"""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from aiokafka import AIOKafkaConsumer

from tests.integration.chaos import kafka_ops
from tests.integration.chaos.run import ChaosRun

SHORTEST = 8
"""A shorter secret would turn up by chance: a scan for it would prove little."""

LOG_LINES, MESSAGES, TOPICS = "log lines", "messages", "topics"
COMMANDS, PAGES = "command outputs", "web answers"
RENDERED, LOADED = "rendered pages", "answers the browser loaded"
"""The kinds of places a scan counts."""


def encoded_forms(secret: str) -> set[bytes]:
    """``secret`` as is, percent-encoded, and in base64 at every alignment."""
    raw = secret.encode()
    forms = {raw, quote(secret, safe="").encode()}
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        # Characters that also carry bits of the padding, or of whatever follows
        # the secret in a real encoding, are left out.
        start = (shift * 8 + 5) // 6
        end = (len(raw) + shift) // 3 * 4
        part = encoded[start:end]
        if len(part) >= SHORTEST:
            forms |= {part, part.translate(bytes.maketrans(b"+/", b"-_"))}
    return forms


@dataclass
class Scan:
    """What was searched, where, and where a secret turned up."""

    places: Counter[str] = field(default_factory=Counter)
    """How many places of each kind were scanned (log lines, messages, ...)."""
    secrets: dict[str, int] = field(default_factory=dict)
    """How many secrets of each system (or Kafka) were searched for."""
    forms: int = 0
    hits: list[str] = field(default_factory=list)

    @property
    def scanned_lines(self) -> int:
        return self.places[LOG_LINES]

    @property
    def scanned_messages(self) -> int:
        return self.places[MESSAGES]

    def figures(self) -> str:
        """One line to quote: places scanned per kind, secrets searched, found."""
        places = ", ".join(f"{n} {kind}" for kind, n in sorted(self.places.items()))
        owners = ", ".join(f"{owner} {n}" for owner, n in sorted(self.secrets.items()))
        return (
            f"secrets scan: {sum(self.secrets.values())} secrets ({owners}; "
            f"{self.forms} encoded forms) searched in {places}: "
            f"{len(self.hits)} found"
        )


class SecretScanner:
    """Searches texts and topics for any form of the given secrets.

    Args:
        secrets: Whose secrets (a system, ``kafka``) -> their values.
    """

    def __init__(self, secrets: Mapping[str, Iterable[str]]) -> None:
        self.scan = Scan()
        self._needles: dict[bytes, str] = {}
        for owner, values in secrets.items():
            distinct = {v for v in values if v}
            self.scan.secrets[owner] = len(distinct)
            for value in distinct:
                if len(value) < SHORTEST:
                    msg = f"a {owner} secret of {len(value)} characters: too short"
                    raise ValueError(msg)
                for form in encoded_forms(value):
                    self._needles[form] = f"{owner} {value[:4]}..."
        self.scan.forms = len(self._needles)

    def _search(self, where: str, data: bytes) -> None:
        self.scan.hits += [
            f"{where}: {owner}" for needle, owner in self._needles.items()
            if needle in data
        ]  # fmt: skip

    def text(self, kind: str, where: str, text: str | bytes) -> None:
        """Scan one place of ``kind`` (a command's output, a page)."""
        self.scan.places[kind] += 1
        self._search(where, text.encode() if isinstance(text, str) else text)

    def log(self, path: Path) -> None:
        """Scan every line of a log file (a hit is looked for line by line
        only once the whole file holds it)."""
        data = path.read_bytes()
        lines = data.splitlines()
        self.scan.places[LOG_LINES] += len(lines)
        for needle, owner in self._needles.items():
            if needle not in data:
                continue  # the common case, at C speed over the whole file
            where = [n for n, line in enumerate(lines, start=1) if needle in line]
            self.scan.hits += [f"{path.name}:{n}: {owner}" for n in where or [0]]

    def topics(self, bootstrap: str, prefix: str) -> None:
        """Scan keys, values and headers of every message on every topic whose
        name starts with ``prefix``."""
        asyncio.run(self._topics(bootstrap, prefix))

    async def _topics(self, bootstrap: str, prefix: str) -> None:
        topics = await kafka_ops.topics_with_prefix(bootstrap, prefix)
        self.scan.places[TOPICS] += len(topics)
        tps = await kafka_ops.partitions(bootstrap, topics)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False
        )
        await consumer.start()
        try:
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            pending = {tp for tp in tps if ends[tp] > 0}
            while pending:
                batch = await consumer.getmany(timeout_ms=2000)
                if not batch:
                    break
                for tp, messages in batch.items():
                    for message in messages:
                        self.scan.places[MESSAGES] += 1
                        raw = (message.key or b"") + b"\0" + (message.value or b"")
                        for name, value in message.headers or ():
                            raw += b"\0" + name.encode() + b"\0" + value
                        self._search(f"{tp.topic}@{message.offset}", raw)
                        if message.offset + 1 >= ends[tp]:
                            pending.discard(tp)
        finally:
            await consumer.stop()


def known_secrets(run: ChaosRun) -> dict[str, list[str]]:
    """The credentials of the run plus every token the Webcrm stand-in issued."""
    tokens = run.webcrm.tokens
    issued = [*tokens._access, *tokens._refresh]  # noqa: SLF001 - test introspection
    return {
        "webcrm": [run.webcrm.auth_code, *issued],
        "customcrm": [run.customcrm.api_key],
    }


def scan_for_secrets(run: ChaosRun) -> Scan:
    """Search the worker logs and all of the deployment's topics."""
    secrets = known_secrets(run)
    assert len(secrets["webcrm"]) > 1, "Webcrm issued no token: the scan proves little"
    scanner = SecretScanner(secrets)
    for log in sorted(run.local.home.glob("worker-*.log")):
        scanner.log(log)
    scanner.topics(run.local.bootstrap, run.local.app_id)
    return scanner.scan
