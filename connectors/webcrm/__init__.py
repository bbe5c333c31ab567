"""Webcrm connector: change feed source and sink over the Webcrm REST API."""

from __future__ import annotations

from connectors.base.connector import ConnectorSpec
from connectors.webcrm.client import (
    SYSTEM,
    WebcrmAuth,
    build_client,
    retry_after_seconds,
)
from connectors.webcrm.entities import ENTITIES
from connectors.webcrm.settings import WebcrmSettings
from connectors.webcrm.sink import WebcrmSink
from connectors.webcrm.source import WebcrmSource, change_query

CONNECTOR = ConnectorSpec(WebcrmSettings, build_client, WebcrmSource, WebcrmSink)
"""How the Webcrm connector is built (``connectors.REGISTRY``)."""

__all__ = [
    "CONNECTOR",
    "ENTITIES",
    "SYSTEM",
    "WebcrmAuth",
    "WebcrmSettings",
    "WebcrmSink",
    "WebcrmSource",
    "build_client",
    "change_query",
    "retry_after_seconds",
]
