"""The Tidsbanken stand-in (systems.md 3, 9.2)."""

from __future__ import annotations

from standins.tidsbanken.app import TidsbankenStandIn
from standins.tidsbanken.sample_data import tidsbanken_sample

__all__ = ["tidsbanken_sample", "TidsbankenStandIn"]
