"""Chargebee connector: API v2 items, orders, customers and business entities."""

from __future__ import annotations

from connectors.base.connector import ConnectorSpec
from connectors.chargebee._form import derived_id, form_fields, to_unix
from connectors.chargebee.client import SYSTEM, build_client
from connectors.chargebee.entities import ENTITIES, ChargebeeEntity
from connectors.chargebee.settings import ChargebeeSettings
from connectors.chargebee.sink import ChargebeeSink
from connectors.chargebee.source import ChargebeeSource, VersionTracker

CONNECTOR = ConnectorSpec(
    ChargebeeSettings, build_client, ChargebeeSource, ChargebeeSink
)
"""How the Chargebee connector is built (``connectors.REGISTRY``)."""

__all__ = [
    "CONNECTOR",
    "ENTITIES",
    "SYSTEM",
    "ChargebeeEntity",
    "ChargebeeSettings",
    "ChargebeeSink",
    "ChargebeeSource",
    "VersionTracker",
    "build_client",
    "derived_id",
    "form_fields",
    "to_unix",
]
