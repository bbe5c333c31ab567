"""Customwebshop connector: our own REST contract, for Customer, Order and Product."""

from __future__ import annotations

from connectors.base.connector import ConnectorSpec
from connectors.customwebshop.client import SYSTEM, build_client
from connectors.customwebshop.entities import ENTITIES
from connectors.customwebshop.settings import CustomwebshopSettings
from connectors.customwebshop.sink import CustomwebshopSink, merge_lines
from connectors.customwebshop.source import CustomwebshopSource

CONNECTOR = ConnectorSpec(
    CustomwebshopSettings, build_client, CustomwebshopSource, CustomwebshopSink
)
"""How the Customwebshop connector is built (``connectors.REGISTRY``)."""

__all__ = [
    "CONNECTOR",
    "ENTITIES",
    "SYSTEM",
    "CustomwebshopSettings",
    "CustomwebshopSink",
    "CustomwebshopSource",
    "build_client",
    "merge_lines",
]
