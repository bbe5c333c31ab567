"""``CustomcrmSettings``: where Customcrm is and its API key."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from connectors.customrest.settings import CustomRestSettings


class CustomcrmSettings(CustomRestSettings):
    """Customcrm settings, from ``CUSTOMCRM_*`` environment variables.

    ``CUSTOMCRM_BASE_URL`` and ``CUSTOMCRM_API_KEY`` are required: Customcrm is
    our own contract and has no public address to default to.
    """

    model_config = SettingsConfigDict(env_prefix="CUSTOMCRM_")
