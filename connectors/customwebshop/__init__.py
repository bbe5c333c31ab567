"""Customwebshop connector: our own REST contract, for Customer, Order and Product."""

from __future__ import annotations

from connectors.customwebshop.client import ENTITIES, CustomwebshopClient
from connectors.customwebshop.settings import CustomwebshopSettings
from connectors.customwebshop.sink import CustomwebshopSink, merge_lines
from connectors.customwebshop.source import CustomwebshopSource

__all__ = [
    "ENTITIES",
    "CustomwebshopClient",
    "CustomwebshopSettings",
    "CustomwebshopSink",
    "CustomwebshopSource",
    "merge_lines",
]
