"""Webcrm connector: change feed source and sink over the Webcrm REST API."""

from __future__ import annotations

from connectors.webcrm.client import (
    ENTITIES,
    WebcrmAuth,
    WebcrmClient,
    retry_after_seconds,
)
from connectors.webcrm.settings import WebcrmSettings
from connectors.webcrm.sink import WebcrmSink
from connectors.webcrm.source import WebcrmSource, change_query

__all__ = [
    "ENTITIES",
    "WebcrmAuth",
    "WebcrmClient",
    "WebcrmSettings",
    "WebcrmSink",
    "WebcrmSource",
    "change_query",
    "retry_after_seconds",
]
