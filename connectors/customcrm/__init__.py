"""Customcrm connector: our own REST contract, for Customer, Contact and Product."""

from __future__ import annotations

from connectors.customcrm.client import SYSTEM, build_client
from connectors.customcrm.entities import ENTITIES
from connectors.customcrm.settings import CustomcrmSettings
from connectors.customcrm.sink import CustomcrmSink
from connectors.customcrm.source import CustomcrmSource

__all__ = [
    "ENTITIES",
    "SYSTEM",
    "CustomcrmSettings",
    "CustomcrmSink",
    "CustomcrmSource",
    "build_client",
]
