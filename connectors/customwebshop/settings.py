"""``CustomwebshopSettings``: where Customwebshop is and its API key."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from connectors.customrest.settings import CustomRestSettings


class CustomwebshopSettings(CustomRestSettings):
    """Customwebshop settings, from ``CUSTOMWEBSHOP_*`` environment variables.

    ``CUSTOMWEBSHOP_BASE_URL`` and ``CUSTOMWEBSHOP_API_KEY`` are required:
    Customwebshop is our own contract and has no public address to default to.
    """

    model_config = SettingsConfigDict(env_prefix="CUSTOMWEBSHOP_")
