"""Connectors: HTTP clients, sources and sinks for each external system."""

from __future__ import annotations

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
from connectors.base.connector import Connector, ConnectorSpec
from connectors.base.settings import ConnectorSettings
from connectors.errors import ConfigurationError

REGISTRY: dict[str, ConnectorSpec] = {
    "webcrm": webcrm.CONNECTOR,
    "customcrm": customcrm.CONNECTOR,
    "customwebshop": customwebshop.CONNECTOR,
    "chargebee": chargebee.CONNECTOR,
    "membercare": membercare.CONNECTOR,
    "crmoffice": crmoffice.CONNECTOR,
    "tidsbanken": tidsbanken.CONNECTOR,
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
