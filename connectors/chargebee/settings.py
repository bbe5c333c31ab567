"""``ChargebeeSettings``: which Chargebee site, its API key and the item defaults."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from connectors.base.settings import ConnectorSettings

SITE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
"""A Chargebee site name: one DNS label."""


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

    @field_validator("site")
    @classmethod
    def _site_name(cls, value: str | None) -> str | None:
        # The name becomes a host name: anything else would send the API key
        # to another host (``evil.com/x?``) or fail obscurely at the first call.
        if value is not None and not SITE_NAME.fullmatch(value):
            msg = (
                "must be the site's name only, e.g. acme-test for "
                "https://acme-test.chargebee.com (lower-case letters, digits, "
                "hyphens)"
            )
            raise ValueError(msg)
        return value

    @model_validator(mode="before")
    @classmethod
    def _base_url_from_site(cls, values: Any) -> Any:
        if isinstance(values, dict) and not values.get("base_url"):
            site = values.get("site")
            if isinstance(site, str) and SITE_NAME.fullmatch(site):
                return {**values, "base_url": f"https://{site}.chargebee.com/api/v2"}
            if site is not None:
                # The site's own check names the problem; a URL made of a bad
                # name would only add a second, confusing one.
                return {**values, "base_url": "https://chargebee.com/api/v2"}
        return values
