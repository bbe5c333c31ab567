"""Tidsbanken connector: Kunde and Avdeling over the OData v3 API behind APIM."""

from __future__ import annotations

from connectors.base.connector import ConnectorSpec
from connectors.tidsbanken.client import SYSTEM, build_client, odata_time
from connectors.tidsbanken.entities import ENTITIES
from connectors.tidsbanken.settings import TidsbankenSettings
from connectors.tidsbanken.sink import TidsbankenSink, derived_id
from connectors.tidsbanken.source import TidsbankenSource

CONNECTOR = ConnectorSpec(
    TidsbankenSettings, build_client, TidsbankenSource, TidsbankenSink
)
"""How the Tidsbanken connector is built (``connectors.REGISTRY``)."""

__all__ = [
    "CONNECTOR",
    "ENTITIES",
    "SYSTEM",
    "TidsbankenSettings",
    "TidsbankenSink",
    "TidsbankenSource",
    "build_client",
    "derived_id",
    "odata_time",
]
