"""Crmoffice connector: OAuth2, ``{"items": [...]}`` lists, switchable assumptions."""

from __future__ import annotations

from connectors.base.connector import ConnectorSpec
from connectors.crmoffice.client import SYSTEM, CrmofficeAuth, build_client
from connectors.crmoffice.entities import ENTITIES
from connectors.crmoffice.settings import CrmofficeSettings
from connectors.crmoffice.sink import CrmofficeSink
from connectors.crmoffice.source import CrmofficeSource

CONNECTOR = ConnectorSpec(
    CrmofficeSettings, build_client, CrmofficeSource, CrmofficeSink
)
"""How the Crmoffice connector is built (``connectors.REGISTRY``)."""

__all__ = [
    "CONNECTOR",
    "ENTITIES",
    "SYSTEM",
    "CrmofficeAuth",
    "CrmofficeSettings",
    "CrmofficeSink",
    "CrmofficeSource",
    "build_client",
]
