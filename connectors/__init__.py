"""Connectors: HTTP clients, sources and sinks for each external system."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx

from connectors import (
    chargebee,
    crmoffice,
    customcrm,
    customwebshop,
    membercare,
    tidsbanken,
    webcrm,
)
from connectors.base.client import HttpClient
from connectors.base.protocols import Sink, Source
from connectors.base.settings import ConnectorSettings
from connectors.errors import ConfigurationError


@dataclass(frozen=True)
class ConnectorSpec:
    """How to build one system's connector.

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
class Connector:
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

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


REGISTRY: dict[str, ConnectorSpec] = {
    webcrm.SYSTEM: ConnectorSpec(
        settings=webcrm.WebcrmSettings,
        client=webcrm.build_client,
        source=webcrm.WebcrmSource,
        sink=webcrm.WebcrmSink,
    ),
    customcrm.SYSTEM: ConnectorSpec(
        settings=customcrm.CustomcrmSettings,
        client=customcrm.build_client,
        source=customcrm.CustomcrmSource,
        sink=customcrm.CustomcrmSink,
    ),
    customwebshop.SYSTEM: ConnectorSpec(
        settings=customwebshop.CustomwebshopSettings,
        client=customwebshop.build_client,
        source=customwebshop.CustomwebshopSource,
        sink=customwebshop.CustomwebshopSink,
    ),
    chargebee.SYSTEM: ConnectorSpec(
        settings=chargebee.ChargebeeSettings,
        client=chargebee.build_client,
        source=chargebee.ChargebeeSource,
        sink=chargebee.ChargebeeSink,
    ),
    membercare.SYSTEM: ConnectorSpec(
        settings=membercare.MembercareSettings,
        client=membercare.build_client,
        source=membercare.MembercareSource,
        sink=membercare.MembercareSink,
    ),
    crmoffice.SYSTEM: ConnectorSpec(
        settings=crmoffice.CrmofficeSettings,
        client=crmoffice.build_client,
        source=crmoffice.CrmofficeSource,
        sink=crmoffice.CrmofficeSink,
    ),
    tidsbanken.SYSTEM: ConnectorSpec(
        settings=tidsbanken.TidsbankenSettings,
        client=tidsbanken.build_client,
        source=tidsbanken.TidsbankenSource,
        sink=tidsbanken.TidsbankenSink,
    ),
}
"""Every system tether has a connector for, by system id."""


def build_connector(
    system: str,
    settings: ConnectorSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Connector:
    """Build ``system``'s source and sink around one (not yet open) client.

    Args:
        system: A key of ``REGISTRY``.
        settings: The system's settings; read from the environment when ``None``.
        transport: An httpx transport for the client (tests).

    Raises:
        ConfigurationError: Unknown system, wrong settings type, or settings
            missing from the environment.
    """
    spec = REGISTRY.get(system)
    if spec is None:
        msg = f"no connector for system {system!r}; known: {', '.join(REGISTRY)}"
        raise ConfigurationError(msg)
    if settings is None:
        settings = spec.settings.load()
    elif not isinstance(settings, spec.settings):
        given = type(settings).__name__
        msg = f"{system} needs {spec.settings.__name__}, got {given}"
        raise ConfigurationError(msg)
    client = spec.client(settings, transport=transport)
    return Connector(
        system=system,
        settings=settings,
        client=client,
        source=spec.source(client, settings),
        sink=spec.sink(client, settings),
    )


__all__ = ["REGISTRY", "Connector", "ConnectorSpec", "build_connector"]
