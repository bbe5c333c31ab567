"""``SystemBound``: what a source and a sink share: types, client and settings."""

from __future__ import annotations

from typing import ClassVar

from connectors.base.client import HttpClient
from connectors.base.entity import EntitySpec, spec_for
from connectors.base.settings import ConnectorSettings
from connectors.errors import ConfigurationError


class SystemBound:
    """Declares ``system`` and ``specs`` (its entity types, in dependency order).

    Args:
        client: The system's client, shared by its source and sink.
        settings: The connector's settings.

    Raises:
        ConfigurationError: ``client`` belongs to another system.
    """

    system: ClassVar[str]
    specs: ClassVar[tuple[EntitySpec, ...]]

    def __init__(self, client: HttpClient, settings: ConnectorSettings) -> None:
        if client.system != self.system:
            msg = f"{self.system} needs a {self.system} client, got {client.system}'s"
            raise ConfigurationError(msg)
        self.client = client
        self.settings = settings

    def spec(self, entity: str) -> EntitySpec:
        """The declaration of ``entity``; ``ConfigurationError`` if unknown."""
        return spec_for(self.specs, self.system, entity)
