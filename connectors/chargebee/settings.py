"""``ChargebeeSettings``: which Chargebee site, its API key and the item defaults."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from connectors.base.settings import ConnectorSettings


class ChargebeeSettings(ConnectorSettings):
    """Chargebee settings, from ``CHARGEBEE_*`` environment variables.

    Give either ``CHARGEBEE_SITE`` (the ``{site}`` of
    ``https://{site}.chargebee.com``) or ``CHARGEBEE_BASE_URL`` (ending in
    ``/api/v2``), plus ``CHARGEBEE_API_KEY``.

    Attributes:
        site: The Chargebee site name; sets ``base_url`` when that is not given.
        api_key: Sent as the Basic-auth user name, with an empty password.
        page_size: Records per list page (Chargebee's ``limit``: at most 100).
        rate_limit_per_minute: Test sites allow 150 requests per minute; live
            plans 1000 or 3500. The client stays under this.
        item_type: ``type`` of items tether creates (``plan``, ``addon``,
            ``charge``); webshop products are one-off charges.
        item_family_id: The product family items are created in (it must exist).
        known_business_entities: Business entity id -> name, for entities older
            than the site's event history (they cannot be read any other way).
    """

    model_config = SettingsConfigDict(env_prefix="CHARGEBEE_")

    site: str | None = None
    api_key: SecretStr
    page_size: int = Field(default=100, ge=1, le=100)
    rate_limit_per_minute: int | None = Field(default=150, ge=1)
    item_type: str = Field(default="charge", pattern="^(plan|addon|charge)$")
    item_family_id: str = "webshop-products"
    known_business_entities: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _base_url_from_site(cls, values: Any) -> Any:
        if isinstance(values, dict) and not values.get("base_url"):
            site = values.get("site")
            if site:
                return {**values, "base_url": f"https://{site}.chargebee.com/api/v2"}
        return values
