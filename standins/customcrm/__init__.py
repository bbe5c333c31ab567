"""The Customcrm stand-in (systems.md 7, 9.6)."""

from __future__ import annotations

from standins.customcrm.app import DEFAULT_API_KEY, CustomcrmStandIn
from standins.customcrm.fields import CUSTOMCRM_RESOURCES
from standins.customcrm.sample_data import customcrm_overlap

__all__ = [
    "CUSTOMCRM_RESOURCES",
    "DEFAULT_API_KEY",
    "CustomcrmStandIn",
    "customcrm_overlap",
]
