"""The connectors of one worker: built from env settings at start, closed at stop."""

from __future__ import annotations

import logging
from typing import Any

from connectors.base.protocols import Sink, Source
from connectors.errors import ConfigurationError

log = logging.getLogger(__name__)


class Connectors:
    """One source and one sink per system, sharing that system's HTTP client.

    Built eagerly so missing credentials stop start-up with one clear message
    (settings are read from the environment here, once, never at import).
    """

    def __init__(self, systems: set[str]) -> None:
        from connectors import REGISTRY, build_connector

        unknown = sorted(systems - REGISTRY.keys())
        if unknown:
            msg = (
                f"no connector for system(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(REGISTRY))}"
            )
            raise ConfigurationError(msg)
        self._bundles: dict[str, Any] = {s: build_connector(s) for s in sorted(systems)}

    def source(self, system: str) -> Source:
        """The source of ``system``."""
        source: Source = self._bundles[system].source
        return source

    def sink(self, system: str) -> Sink:
        """The sink of ``system``."""
        sink: Sink = self._bundles[system].sink
        return sink

    def auths(self) -> dict[str, Any]:
        """Each system's ``Auth`` (its login), for wiring shared token stores."""
        return {system: bundle.client.auth for system, bundle in self._bundles.items()}

    async def open(self) -> None:
        """Open every HTTP client (idempotent: each agent calls it before its loop)."""
        for bundle in self._bundles.values():
            await bundle.open()

    async def aclose(self) -> None:
        """Close every HTTP client."""
        for bundle in self._bundles.values():
            await bundle.aclose()
