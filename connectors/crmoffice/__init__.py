"""Crmoffice connector: OAuth2, ``{"items": [...]}`` lists, switchable assumptions."""

from __future__ import annotations

from connectors.crmoffice.client import SYSTEM, CrmofficeAuth, build_client
from connectors.crmoffice.entities import ENTITIES
from connectors.crmoffice.settings import CrmofficeSettings
from connectors.crmoffice.sink import CrmofficeSink
from connectors.crmoffice.source import CrmofficeSource

__all__ = [
    "ENTITIES",
    "SYSTEM",
    "CrmofficeAuth",
    "CrmofficeSettings",
    "CrmofficeSink",
    "CrmofficeSource",
    "build_client",
]
