"""Customcrm's webhooks: our REST contract's (``connectors.customrest.webhooks``)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.webhooks import WebhookSpec
from connectors.customcrm.client import SYSTEM
from connectors.customcrm.entities import ENTITIES
from connectors.customrest.webhooks import rest_webhook_spec


class CustomcrmWebhookSettings(BaseSettings):
    """``CUSTOMCRM_WEBHOOK_SECRET``: the signing secret; push is off without it."""

    model_config = SettingsConfigDict(
        env_prefix="CUSTOMCRM_WEBHOOK_", frozen=True, extra="ignore"
    )

    secret: SecretStr | None = None


def webhook_spec(settings: CustomcrmWebhookSettings) -> WebhookSpec | None:
    """Customcrm's push, or ``None`` when no secret is configured."""
    return rest_webhook_spec(SYSTEM, ENTITIES, settings.secret)
