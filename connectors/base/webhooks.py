"""Webhook deliveries: verifying their sender, and what a parsed one says."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import SecretStr

from connectors.errors import SyncError

SIGNATURE_HEADER = "x-tether-signature"
"""Our own contract's signature header: ``sha256=<hex HMAC-SHA256 of the body>``."""


class WebhookRefusedError(SyncError):
    """A webhook delivery cannot be used: answer ``status`` (400) and drop it."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Delivery:
    """One webhook POST as the receiver got it.

    Attributes:
        body: The raw body (signatures are over these bytes).
        headers: Header names in lower case.
        token: The secret path segment, for senders that cannot sign.
    """

    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    token: str = ""

    def json(self) -> Any:
        """The body as JSON.

        Raises:
            WebhookRefusedError: It is not JSON.
        """
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            msg = "the webhook body is not JSON"
            raise WebhookRefusedError(msg) from None


@dataclass(frozen=True)
class Notification:
    """What one webhook says changed.

    Attributes:
        entity: The entity type, as tether names it (``Persons``).
        record_id: The record's id as text.
        deleted: The sender says the record was deleted.
        row: The record as the payload carries it; ``None`` when it carries
            none (the record is then read by id).
    """

    entity: str
    record_id: str
    deleted: bool = False
    row: Any = None


Verifier = Callable[[Delivery], bool]
"""Whether a delivery comes from the configured sender."""


def _same(given: str | bytes, expected: str | bytes) -> bool:
    """Constant-time comparison (a timing difference must not leak the secret)."""
    left = given.encode() if isinstance(given, str) else given
    right = expected.encode() if isinstance(expected, str) else expected
    return hmac.compare_digest(left, right)


def token_verifier(secret: SecretStr) -> Verifier:
    """The path carries the secret (webCRM's hooks have no signature)."""

    def verify(delivery: Delivery) -> bool:
        return bool(delivery.token) and _same(delivery.token, secret.get_secret_value())

    return verify


def basic_verifier(username: str, password: SecretStr) -> Verifier:
    """HTTP Basic credentials, as Chargebee sends those configured on the webhook."""
    # Held as a secret until compared: a traceback's locals must not show it.
    expected = SecretStr(f"{username}:{password.get_secret_value()}")

    def verify(delivery: Delivery) -> bool:
        scheme, _, encoded = delivery.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return _same(given, expected.get_secret_value().encode())

    return verify


def sign(body: bytes, secret: str) -> str:
    """The ``X-Tether-Signature`` value of ``body``: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def hmac_verifier(secret: SecretStr) -> Verifier:
    """Our REST contract: ``X-Tether-Signature: sha256=<HMAC-SHA256(body)>``."""

    def verify(delivery: Delivery) -> bool:
        given = delivery.headers.get(SIGNATURE_HEADER, "")
        if not given.startswith("sha256="):
            return False
        return _same(given, sign(delivery.body, secret.get_secret_value()))

    return verify


def record_id_text(value: Any) -> str:
    """An id from a payload as text; junk (missing, objects, booleans) refused.

    Raises:
        WebhookRefusedError: The value names no record.
    """
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        msg = f"the webhook names no record id (got {type(value).__name__})"
        raise WebhookRefusedError(msg)
    return str(value)


@dataclass(frozen=True)
class WebhookSpec:
    """How one system pushes: who may send, what a delivery says.

    Attributes:
        system: The system id.
        verify: Whether a delivery comes from the configured sender.
        parse: The notifications of a verified delivery; raises
            ``WebhookRefusedError`` for a body that says nothing usable.
        path_token: The sender is told a URL with a secret segment (it cannot
            sign); the receiver route then has a ``{token}`` segment.
    """

    system: str
    verify: Verifier
    parse: Callable[[Delivery], list[Notification]]
    path_token: bool = False


def entity_named(names: Mapping[str, str], given: Any, system: str) -> str:
    """The entity type a payload names, through ``names`` (payload name -> type).

    Raises:
        WebhookRefusedError: The payload names no type ``system`` has.
    """
    entity = names.get(given) if isinstance(given, str) else None
    if entity is None:
        msg = f"the webhook names no {system} entity type tether knows ({given!r})"
        raise WebhookRefusedError(msg)
    return entity
