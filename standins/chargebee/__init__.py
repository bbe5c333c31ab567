"""The Chargebee stand-in (systems.md 2, 9.1)."""

from __future__ import annotations

from standins.chargebee.app import DEFAULT_API_KEY, ChargebeeStandIn
from standins.chargebee.sample_data import chargebee_sample, seed_chargebee

__all__ = ["DEFAULT_API_KEY", "chargebee_sample", "seed_chargebee", "ChargebeeStandIn"]
