"""Chargebee webhooks: HTTP Basic credentials and the event object.

Chargebee protects a webhook endpoint with the HTTP Basic username and password
configured on the webhook (``CHARGEBEE_WEBHOOK_USERNAME``/``_PASSWORD``) and POSTs
an event ``{id, occurred_at, event_type, content: {<resource>: {...}}}``
(systems.md 2.1). Business entities are left to polling: their source reads the
Events API with its own rules.
"""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.webhooks import (
    Delivery,
    Notification,
    WebhookRefusedError,
    WebhookSpec,
    basic_verifier,
    record_id_text,
)
from connectors.chargebee.client import SYSTEM
from connectors.chargebee.entities import ENTITIES

# The resource key in ``content`` -> tether's type (``item`` -> ``Item``).
_PUSHED = {spec.wrapper: spec.name for spec in ENTITIES if spec.path != "events"}


class ChargebeeWebhookSettings(BaseSettings):
    """``CHARGEBEE_WEBHOOK_USERNAME``/``_PASSWORD``; push is off without a password."""

    model_config = SettingsConfigDict(
        env_prefix="CHARGEBEE_WEBHOOK_", frozen=True, extra="ignore"
    )

    username: str = "tether"
    password: SecretStr | None = None


def webhook_spec(settings: ChargebeeWebhookSettings) -> WebhookSpec | None:
    """Chargebee's push, or ``None`` when no password is configured."""
    if settings.password is None or not settings.password.get_secret_value():
        return None
    return WebhookSpec(
        SYSTEM, basic_verifier(settings.username, settings.password), parse
    )


def parse(delivery: Delivery) -> list[Notification]:
    """One event: the resource it carries, deleted when the event says so.

    An event about a resource tether does not sync (an invoice, a business
    entity) says nothing to it: no notifications.

    Raises:
        WebhookRefusedError: Not a Chargebee event.
    """
    body = delivery.json()
    content = body.get("content") if isinstance(body, dict) else None
    kind = body.get("event_type") if isinstance(body, dict) else None
    if not isinstance(content, dict) or not isinstance(kind, str):
        msg = "a Chargebee event has an event_type and a content object"
        raise WebhookRefusedError(msg)
    for wrapper, entity in _PUSHED.items():
        if kind.startswith(f"{wrapper}_"):
            row = content.get(wrapper)
            if not isinstance(row, dict):
                msg = f"Chargebee {kind} event without content.{wrapper}"
                raise WebhookRefusedError(msg)
            record_id = record_id_text(row.get("id"))
            return [Notification(entity, record_id, kind.endswith("_deleted"), row)]
    return []
