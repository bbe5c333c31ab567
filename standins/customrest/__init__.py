"""The generic custom REST contract (systems.md 9.6) of Customcrm and Customwebshop."""

from __future__ import annotations

from standins.customrest.app import CustomRestStandIn
from standins.customrest.fields import FieldSpec, ResourceSpec

__all__ = ["CustomRestStandIn", "FieldSpec", "ResourceSpec"]
