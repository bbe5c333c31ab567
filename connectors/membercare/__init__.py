"""Membercare connector: the debtors feed, full-listing snapshots, and its writes."""

from __future__ import annotations

from connectors.membercare._fields import COUNTRY_ALIASES, country_code
from connectors.membercare.client import (
    TYPES,
    LocalClock,
    MembercareAuth,
    MembercareClient,
    MembercareType,
)
from connectors.membercare.settings import MembercareSettings
from connectors.membercare.sink import MembercareSink
from connectors.membercare.source import MembercareSource

__all__ = [
    "COUNTRY_ALIASES",
    "TYPES",
    "LocalClock",
    "MembercareAuth",
    "MembercareClient",
    "MembercareSettings",
    "MembercareSink",
    "MembercareSource",
    "MembercareType",
    "country_code",
]
