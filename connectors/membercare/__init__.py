"""Membercare connector: the debtors feed, full-listing snapshots, and its writes."""

from __future__ import annotations

from connectors.base.connector import ConnectorSpec
from connectors.base.records import LocalClock
from connectors.membercare.client import SYSTEM, MembercareAuth, build_client
from connectors.membercare.entities import ENTITIES
from connectors.membercare.settings import MembercareSettings
from connectors.membercare.sink import MembercareSink
from connectors.membercare.source import MembercareSource

CONNECTOR = ConnectorSpec(
    MembercareSettings, build_client, MembercareSource, MembercareSink
)
"""How the Membercare connector is built (``connectors.REGISTRY``)."""

__all__ = [
    "CONNECTOR",
    "ENTITIES",
    "SYSTEM",
    "LocalClock",
    "MembercareAuth",
    "MembercareSettings",
    "MembercareSink",
    "MembercareSource",
    "build_client",
]
