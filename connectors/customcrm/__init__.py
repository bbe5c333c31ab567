"""Customcrm connector: our own REST contract, for Customer, Contact and Product."""

from __future__ import annotations

from connectors.customcrm.client import ENTITIES, CustomcrmClient
from connectors.customcrm.settings import CustomcrmSettings
from connectors.customcrm.sink import CustomcrmSink
from connectors.customcrm.source import CustomcrmSource

__all__ = [
    "ENTITIES",
    "CustomcrmClient",
    "CustomcrmSettings",
    "CustomcrmSink",
    "CustomcrmSource",
]
