"""The Customwebshop stand-in (systems.md 7, 9.6)."""

from __future__ import annotations

from standins.customwebshop.app import DEFAULT_API_KEY, CustomwebshopStandIn
from standins.customwebshop.fields import CUSTOMWEBSHOP_RESOURCES, LINE_FIELDS
from standins.customwebshop.sample_data import customwebshop_sample

__all__ = [
    "CUSTOMWEBSHOP_RESOURCES",
    "DEFAULT_API_KEY",
    "LINE_FIELDS",
    "CustomwebshopStandIn",
    "customwebshop_sample",
]
