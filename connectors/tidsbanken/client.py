"""The Tidsbanken client: the APIM gateway headers, and OData bodies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.base.auth import HeaderAuth
from connectors.base.client import HttpClient
from connectors.tidsbanken.settings import TidsbankenSettings
from schemas.utc import utc_text

SYSTEM = "tidsbanken"


def build_client(settings: TidsbankenSettings, **options: Any) -> HttpClient:
    """The Tidsbanken client: ``tb-key``, ``Ocp-Apim-Subscription-Key`` and
    ``x-api-version`` on every request (static keys: a 401 stands)."""
    auth = HeaderAuth(
        {
            "tb-key": settings.tb_key,
            "Ocp-Apim-Subscription-Key": settings.subscription_key,
            "x-api-version": settings.api_version,
        }
    )
    return HttpClient.from_settings(settings, system=SYSTEM, auth=auth, **options)


def odata_time(moment: datetime) -> str:
    """An unquoted OData date-time literal in UTC: ``2024-03-01T10:15:30.123Z``."""
    return utc_text(moment, timespec="milliseconds")


def literal(text: str) -> str:
    """An OData string literal: quoted, inner quotes doubled."""
    return "'" + text.replace("'", "''") + "'"


def values(body: Any) -> list[Any] | None:
    """The ``value`` array of an OData body, or None when the body has none."""
    rows = body.get("value") if isinstance(body, Mapping) else None
    return rows if isinstance(rows, list) else None
