"""Tidsbanken connector: Kunde and Avdeling over the OData v3 API behind APIM."""

from __future__ import annotations

from connectors.tidsbanken.client import ENTITIES, TidsbankenAuth, TidsbankenClient
from connectors.tidsbanken.settings import TidsbankenSettings
from connectors.tidsbanken.sink import TidsbankenSink, derived_id
from connectors.tidsbanken.source import TidsbankenSource, odata_time

__all__ = [
    "ENTITIES",
    "TidsbankenAuth",
    "TidsbankenClient",
    "TidsbankenSettings",
    "TidsbankenSink",
    "TidsbankenSource",
    "derived_id",
    "odata_time",
]
