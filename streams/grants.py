"""The deployment's shared grants on Kafka: ``{app}.grants``, one partition.

Where: a compacted one-partition topic of the deployment. Every worker reaches
it already, a restarted worker reads it back, and one partition gives every
worker the same order of messages, which is what picks the one renewer.
Nobody else can read it: each grant is encrypted (AES-GCM) with a key derived
from the system's client secret, which only the workers hold; a subscriber
with read access to the topic sees ciphertext, and a forged grant fails its
authentication tag and is ignored.

One renewal at a time: a worker that needs generation ``n`` appends a claim
for it and waits until its claim is on the topic; the first claim of the
highest round wins. The winner runs the grant (spending the refresh token of
generation ``n - 1``, once) and appends generation ``n``; the others wait for
it. A winner whose renewal fails releases its claim (a ``release/...`` marker),
so the next worker to need the grant claims a new round at once; a winner that
neither answers nor releases within ``claim_seconds`` (it died) is taken over
by a claim of the next round. A release gives nothing away that a takeover
would not: either way the next renewal uses the last grant on the topic.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from connectors.base.grants import Grant, Renewal, SharesGrants
from connectors.errors import TransientError
from engine.runtime import Connectors
from streams.kafka_security import kafka_options
from streams.provision import TopicSpec

log = logging.getLogger(__name__)

CLAIM_SECONDS = 60.0
"""How long a claim's winner has to append its grant before others take over."""
WAIT_STEP = 0.2


def grants_topic(app_id: str) -> str:
    """The topic of a deployment's shared grants."""
    return f"{app_id}.grants"


@dataclass(frozen=True)
class _Claim:
    seed: str
    generation: int
    round: int
    nonce: str
    at: float  # the message's timestamp, seconds


class GrantCipher:
    """Encrypts grants with a key only holders of the system's secret can make."""

    def __init__(self, secret: SecretStr, app_id: str, system: str) -> None:
        key = HKDF(
            algorithm=SHA256(),
            length=32,
            salt=f"tether/{app_id}".encode(),
            info=f"grants/{system}/v1".encode(),
        ).derive(secret.get_secret_value().encode())
        self._aead = AESGCM(key)
        self._context = f"{app_id}/{system}".encode()

    def seal(self, grant: Grant) -> bytes:
        """The grant as an encrypted message value."""
        plain = orjson.dumps(
            {
                "access_token": grant.access_token.get_secret_value(),
                "expires_at": grant.expires_at,
                "refresh_token": (
                    grant.refresh_token.get_secret_value()
                    if grant.refresh_token
                    else None
                ),
                "generation": grant.generation,
                "seed": grant.seed,
            }
        )
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plain, self._context)
        return orjson.dumps({"v": 1, "nonce": _b64(nonce), "sealed": _b64(sealed)})

    def open(self, value: bytes) -> Grant | None:
        """The grant in ``value``; ``None`` for anything not sealed with our key."""
        try:
            envelope = orjson.loads(value)
            nonce = base64.b64decode(envelope["nonce"])
            sealed = base64.b64decode(envelope["sealed"])
            data = orjson.loads(self._aead.decrypt(nonce, sealed, self._context))
            refresh = data["refresh_token"]
            return Grant(
                access_token=SecretStr(str(data["access_token"])),
                expires_at=float(data["expires_at"]),
                refresh_token=SecretStr(refresh) if refresh else None,
                generation=int(data["generation"]),
                seed=str(data["seed"]),
            )
        except (InvalidTag, ValueError, KeyError, TypeError):
            return None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class KafkaGrantStore:
    """One system's grants on ``{app}.grants`` (a ``GrantStore``)."""

    def __init__(
        self,
        bootstrap: str,
        app_id: str,
        system: str,
        secret: SecretStr,
        *,
        claim_seconds: float = CLAIM_SECONDS,
    ) -> None:
        self._bootstrap = bootstrap
        self._tp = TopicPartition(grants_topic(app_id), 0)
        self._system = system
        self._cipher = GrantCipher(secret, app_id, system)
        self._claim_seconds = claim_seconds
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._latest: Grant | None = None
        self._claims: dict[tuple[str, int], list[_Claim]] = defaultdict(list)
        self._released: set[_Claim] = set()
        self._refused = 0
        self._lock = asyncio.Lock()

    async def latest(self) -> Grant | None:
        """The newest grant on the topic (after reading it to its end)."""
        async with self._lock:
            await self._catch_up()
            return self._latest

    async def renew(self, seed: str, after: Grant | None, renewal: Renewal) -> Grant:
        """Generation ``after + 1`` of ``seed``'s chain, run here or read."""
        generation = after.generation + 1 if after else 1
        mine: str | None = None
        async with self._lock:
            while True:
                await self._catch_up()
                grant = self._latest
                if grant and grant.seed == seed and grant.generation >= generation:
                    return grant
                winner = self._winner(seed, generation)
                if winner is not None and winner.nonce == mine:
                    try:
                        grant = await renewal(after)
                    except Exception:
                        await self._release(winner)
                        raise
                    await self._send(self._grant_key, self._cipher.seal(grant))
                    self._latest = grant
                    log.info(
                        "%s: tokens renewed (generation %d), shared with the "
                        "deployment's workers", self._system, grant.generation,
                    )  # fmt: skip
                    return grant
                if (
                    winner is None
                    or winner in self._released
                    or time.time() - winner.at > self._claim_seconds
                ):
                    mine = secrets.token_hex(8)
                    await self._claim(seed, generation, winner, mine)
                    continue
                await asyncio.sleep(WAIT_STEP)

    def _winner(self, seed: str, generation: int) -> _Claim | None:
        claims = self._claims.get((seed, generation))
        if not claims:
            return None
        top = max(c.round for c in claims)
        return next(c for c in claims if c.round == top)

    async def _claim(
        self, seed: str, generation: int, winner: _Claim | None, nonce: str
    ) -> None:
        round_ = winner.round + 1 if winner else 1
        if winner is not None and winner not in self._released:
            log.warning(
                "%s: the renewal of generation %d claimed %.0fs ago never "
                "finished; taking it over", self._system, generation,
                time.time() - winner.at,
            )  # fmt: skip
        key = f"claim/{self._system}/{seed}/{generation}/{round_}/{nonce}"
        await self._send(key, b"{}")

    async def _release(self, claim: _Claim) -> None:
        """This worker's renewal failed: let the next one claim at once."""
        key = "/".join(
            ("release", self._system, claim.seed, str(claim.generation),
             str(claim.round), claim.nonce)
        )  # fmt: skip
        try:
            await self._send(key, b"{}")
        except TransientError as exc:  # the takeover after claim_seconds still comes
            log.warning("%s: renewal claim not released: %s", self._system, exc)

    @property
    def _grant_key(self) -> str:
        return f"grant/{self._system}"

    def _apply(self, key: str, value: bytes | None, timestamp_ms: int) -> None:
        if value is None:
            return
        if key == self._grant_key:
            grant = self._cipher.open(value)
            if grant is None:
                self._refused += 1
                if self._refused == 1:
                    log.warning(
                        "%s: a grant on %s does not open with this deployment's "
                        "key (forged, or another client secret); ignored",
                        self._system, self._tp.topic,
                    )  # fmt: skip
                return
            if self._latest is None or grant.generation >= self._latest.generation:
                self._latest = grant
            return
        parts = key.split("/")
        if len(parts) != 6 or parts[0] not in ("claim", "release"):
            return
        if parts[1] != self._system:
            return
        try:
            generation, round_ = int(parts[3]), int(parts[4])
        except ValueError:
            return
        claims = self._claims[(parts[2], generation)]
        if parts[0] == "claim":
            at = timestamp_ms / 1000
            claims.append(_Claim(parts[2], generation, round_, parts[5], at))
            return
        self._released.update(
            c for c in claims if (c.round, c.nonce) == (round_, parts[5])
        )

    async def _start(self) -> tuple[AIOKafkaProducer, AIOKafkaConsumer]:
        if self._producer is None or self._consumer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                **kafka_options(),
                acks="all",
                enable_idempotence=True,
            )
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                **kafka_options(),
                enable_auto_commit=False,
            )
            try:
                await producer.start()
                await consumer.start()
            except KafkaError as exc:
                await producer.stop()
                await consumer.stop()
                where = f"{self._system}: the shared grants on {self._tp.topic}"
                msg = f"{where} are out of reach: {exc}"
                raise TransientError(msg) from exc
            consumer.assign([self._tp])
            await consumer.seek_to_beginning(self._tp)
            self._producer, self._consumer = producer, consumer
        return self._producer, self._consumer

    async def _catch_up(self) -> None:
        _, consumer = await self._start()
        try:
            end = (await consumer.end_offsets([self._tp]))[self._tp]
            while await consumer.position(self._tp) < end:
                batches = await consumer.getmany(self._tp, timeout_ms=1000)
                for message in batches.get(self._tp, []):
                    key = message.key.decode() if message.key else ""
                    self._apply(key, message.value, message.timestamp)
        except KafkaError as exc:
            msg = f"{self._system}: reading {self._tp.topic} failed: {exc}"
            raise TransientError(msg) from exc

    async def _send(self, key: str, value: bytes) -> None:
        producer, _ = await self._start()
        try:
            await producer.send_and_wait(
                self._tp.topic, value, key=key.encode(), partition=0
            )
        except KafkaError as exc:
            msg = f"{self._system}: writing to {self._tp.topic} failed: {exc}"
            raise TransientError(msg) from exc
        await self._catch_up()

    async def aclose(self) -> None:
        """Stop the producer and consumer."""
        for client in (self._producer, self._consumer):
            if client is not None:
                await client.stop()
        self._producer = self._consumer = None


def share_grants(
    connectors: Connectors, bootstrap: str, app_id: str
) -> tuple[list[str], list[TopicSpec]]:
    """Give each system whose tokens rotate the deployment's shared store.

    Returns the systems that share, and the topic to create (none if none).
    """
    sharing: list[str] = []
    for system, auth in connectors.auths().items():
        if isinstance(auth, SharesGrants) and auth.rotates:
            auth.share(KafkaGrantStore(bootstrap, app_id, system, auth.store_secret()))
            sharing.append(system)
    specs = [TopicSpec(grants_topic(app_id), 1, compacted=True)] if sharing else []
    return sharing, specs
