"""Customwebshop connector: our own REST contract, for Customer, Order and Product."""

from __future__ import annotations

from connectors.customwebshop.client import SYSTEM, build_client
from connectors.customwebshop.entities import ENTITIES
from connectors.customwebshop.settings import CustomwebshopSettings
from connectors.customwebshop.sink import CustomwebshopSink, merge_lines
from connectors.customwebshop.source import CustomwebshopSource

__all__ = [
    "ENTITIES",
    "SYSTEM",
    "CustomwebshopSettings",
    "CustomwebshopSink",
    "CustomwebshopSource",
    "build_client",
    "merge_lines",
]
