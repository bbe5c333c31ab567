"""Webcrm hooks: the receiver's secret, the payload, and registering the hooks.

webCRM's hooks (``/{Organisations|Persons|Products}/Hooks``) POST to a
``TargetUrl`` and carry no signature, so the URL holds a secret segment
(``{TETHER_PUBLIC_URL}/hooks/webcrm/{WEBCRM_WEBHOOK_SECRET}``). The payload shape
is not documented publicly; tether reads ``{HookId, EventType, EntityType,
EntityId, Entity}`` (systems.md 4.1, an assumption the stand-in follows) and
reads the record by id whenever ``Entity`` is missing or does not pass.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.client import HttpClient
from connectors.base.webhooks import (
    Delivery,
    Notification,
    WebhookRefusedError,
    WebhookSpec,
    entity_named,
    record_id_text,
    token_verifier,
)
from connectors.webcrm.client import SYSTEM
from connectors.webcrm.entities import ENTITIES

log = logging.getLogger(__name__)

EVENT_TYPES = ("Create", "Update", "Delete")
_NAMES = {spec.name: spec.name for spec in ENTITIES}


class WebcrmWebhookSettings(BaseSettings):
    """``WEBCRM_WEBHOOK_SECRET``: the secret path segment; push is off without it."""

    model_config = SettingsConfigDict(
        env_prefix="WEBCRM_WEBHOOK_", frozen=True, extra="ignore"
    )

    secret: SecretStr | None = None


def webhook_spec(settings: WebcrmWebhookSettings) -> WebhookSpec | None:
    """Webcrm's push, or ``None`` when no secret is configured."""
    if settings.secret is None or not settings.secret.get_secret_value():
        return None
    return WebhookSpec(SYSTEM, token_verifier(settings.secret), parse, path_token=True)


def parse(delivery: Delivery) -> list[Notification]:
    """One hook call: one record created, updated or deleted.

    Raises:
        WebhookRefusedError: Not a hook call tether can read.
    """
    body = delivery.json()
    if not isinstance(body, dict):
        msg = "a Webcrm hook call is a JSON object"
        raise WebhookRefusedError(msg)
    kind = body.get("EventType")
    if kind not in EVENT_TYPES:
        msg = f"unknown Webcrm hook EventType {kind!r}"
        raise WebhookRefusedError(msg)
    entity = entity_named(_NAMES, body.get("EntityType"), SYSTEM)
    record_id = record_id_text(body.get("EntityId"))
    row = body.get("Entity")
    return [Notification(entity, record_id, kind == "Delete", row)]


def hook_target(public_url: str, secret: SecretStr) -> str:
    """The ``TargetUrl`` Webcrm is told (it holds the secret: never log it)."""
    return f"{public_url.rstrip('/')}/hooks/webcrm/{secret.get_secret_value()}"


async def ensure_hooks(
    client: HttpClient, target_url: str, entities: Iterable[str]
) -> int:
    """Register a hook per type and event kind unless one exists; how many were new.

    Idempotent: a hook with the same ``TargetUrl`` and ``EventType`` counts,
    and one that was disabled is enabled again.
    """
    created = 0
    for entity in entities:
        path = f"/{entity}/Hooks"
        listed = await client.get_json(path)
        hooks: list[Any] = listed if isinstance(listed, list) else []
        for kind in EVENT_TYPES:
            same = [
                h
                for h in hooks
                if isinstance(h, dict)
                and h.get("TargetUrl") == target_url
                and h.get("EventType") == kind
            ]
            body = {"TargetUrl": target_url, "EventType": kind, "IsEnabled": True}
            if not same:
                await client.request("POST", path, body=body)
                created += 1
            elif not any(h.get("IsEnabled", True) for h in same):
                await client.request("PUT", f"/Hooks/{same[0]['Id']}", body=body)
    log.info("webcrm hooks: %d registered for %s", created, ", ".join(entities))
    return created
