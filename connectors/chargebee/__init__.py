"""Chargebee connector: API v2 items, orders, customers and business entities."""

from __future__ import annotations

from connectors.chargebee._form import derived_id, form_fields, to_unix
from connectors.chargebee.client import (
    ENTITIES,
    ChargebeeAuth,
    ChargebeeClient,
    ChargebeeEntity,
)
from connectors.chargebee.settings import ChargebeeSettings
from connectors.chargebee.sink import ChargebeeSink
from connectors.chargebee.source import ChargebeeSource, VersionTracker

__all__ = [
    "ENTITIES",
    "ChargebeeAuth",
    "ChargebeeClient",
    "ChargebeeEntity",
    "ChargebeeSettings",
    "ChargebeeSink",
    "ChargebeeSource",
    "VersionTracker",
    "derived_id",
    "form_fields",
    "to_unix",
]
