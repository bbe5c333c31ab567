"""The Customcrm client: our REST contract's bearer API key."""

from __future__ import annotations

from typing import Any

from connectors.base.client import HttpClient
from connectors.customcrm.settings import CustomcrmSettings
from connectors.customrest import client as customrest

SYSTEM = "customcrm"


def build_client(settings: CustomcrmSettings, **options: Any) -> HttpClient:
    """The Customcrm client (``transport=`` and the like for tests)."""
    return customrest.build_client(settings, system=SYSTEM, **options)
