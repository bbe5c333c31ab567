"""Customcrm connector: our own REST contract, for Customer, Contact and Product."""

from __future__ import annotations

from connectors.base.connector import ConnectorSpec
from connectors.customcrm.client import SYSTEM, build_client
from connectors.customcrm.entities import ENTITIES
from connectors.customcrm.settings import CustomcrmSettings
from connectors.customcrm.sink import CustomcrmSink
from connectors.customcrm.source import CustomcrmSource

CONNECTOR = ConnectorSpec(
    CustomcrmSettings, build_client, CustomcrmSource, CustomcrmSink
)
"""How the Customcrm connector is built (``connectors.REGISTRY``)."""

__all__ = [
    "CONNECTOR",
    "ENTITIES",
    "SYSTEM",
    "CustomcrmSettings",
    "CustomcrmSink",
    "CustomcrmSource",
    "build_client",
]
