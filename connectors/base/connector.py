"""``ConnectorSpec``: how a system's connector is built; ``Connector``: one built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.base._pool import Resource
from connectors.base.client import HttpClient
from connectors.base.protocols import Sink, Source
from connectors.base.settings import ConnectorSettings


@dataclass(frozen=True)
class ConnectorSpec:
    """How to build one system's connector; each system folder declares one.

    Attributes:
        settings: The settings class (reads ``{SYSTEM}_*`` from the environment).
        client: Builds the client from settings (``transport=`` for tests).
        source: Builds the source from the client and settings.
        sink: Builds the sink from the client and settings.
    """

    settings: type[ConnectorSettings]
    client: Callable[..., HttpClient]
    source: Callable[[HttpClient, Any], Source]
    sink: Callable[[HttpClient, Any], Sink]


@dataclass(frozen=True)
class Connector(Resource):
    """A system's source and sink sharing one client; ``async with`` opens it."""

    system: str
    settings: ConnectorSettings
    client: HttpClient
    source: Source
    sink: Sink

    async def open(self) -> None:
        """Open the shared client."""
        await self.client.open()

    async def aclose(self) -> None:
        """Close the shared client."""
        await self.client.aclose()
