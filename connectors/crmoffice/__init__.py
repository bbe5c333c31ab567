"""Crmoffice connector: OAuth2, ``{"items": [...]}`` lists, switchable assumptions."""

from __future__ import annotations

from connectors.crmoffice.client import (
    TYPES,
    CrmofficeAuth,
    CrmofficeClient,
    CrmofficeType,
)
from connectors.crmoffice.settings import CrmofficeSettings
from connectors.crmoffice.sink import CrmofficeSink
from connectors.crmoffice.source import CrmofficeSource

__all__ = [
    "TYPES",
    "CrmofficeAuth",
    "CrmofficeClient",
    "CrmofficeSettings",
    "CrmofficeSink",
    "CrmofficeSource",
    "CrmofficeType",
]
