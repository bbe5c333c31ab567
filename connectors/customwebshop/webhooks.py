"""Customwebshop's webhooks: our REST contract's (``customrest.webhooks``)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.webhooks import WebhookSpec
from connectors.customrest.webhooks import rest_webhook_spec
from connectors.customwebshop.client import SYSTEM
from connectors.customwebshop.entities import ENTITIES


class CustomwebshopWebhookSettings(BaseSettings):
    """``CUSTOMWEBSHOP_WEBHOOK_SECRET``: the signing secret; off without it."""

    model_config = SettingsConfigDict(
        env_prefix="CUSTOMWEBSHOP_WEBHOOK_", frozen=True, extra="ignore"
    )

    secret: SecretStr | None = None


def webhook_spec(settings: CustomwebshopWebhookSettings) -> WebhookSpec | None:
    """Customwebshop's push, or ``None`` when no secret is configured."""
    return rest_webhook_spec(SYSTEM, ENTITIES, settings.secret)
