"""The Customwebshop client: our REST contract's bearer API key."""

from __future__ import annotations

from typing import Any

from connectors.base.client import HttpClient
from connectors.customrest import client as customrest
from connectors.customwebshop.settings import CustomwebshopSettings

SYSTEM = "customwebshop"


def build_client(settings: CustomwebshopSettings, **options: Any) -> HttpClient:
    """The Customwebshop client (``transport=`` and the like for tests)."""
    return customrest.build_client(settings, system=SYSTEM, **options)
