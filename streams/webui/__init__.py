"""The worker's own web pages: the live status page, health, metrics, control."""

from __future__ import annotations

import errno
import socket
from typing import TYPE_CHECKING

import faust
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor

from connectors.errors import ConfigurationError
from engine.metrics import REGISTRY
from streams.settings import StreamSettings
from streams.webui.routes import wire_routes
from streams.webui.site import StatusSite

if TYPE_CHECKING:
    from streams.topology import Topology

__all__ = ["StatusSite", "check_web_port", "wire_webui"]

_FAUST_METRICS: list[FaustMetrics] = []
"""faust's sensor metrics, registered once per process (a registry refuses twice)."""


def wire_webui(app: faust.App, settings: StreamSettings, topology: Topology) -> None:
    """The status page and operator endpoints, when the web server is on."""
    if not settings.web_enabled:
        return
    if not _FAUST_METRICS:
        _FAUST_METRICS.append(FaustMetrics.create(REGISTRY, "faust"))
    # faust's own sensor: messages, events, commits, per-topic offsets, rebalances.
    app.monitor = PrometheusMonitor(metrics=_FAUST_METRICS[0])
    site = StatusSite(app, settings, topology.flows, topology.health)
    wire_routes(app, site, resume_grace=topology.breakers.window_seconds)


def check_web_port(settings: StreamSettings) -> None:
    """Refuse to start when another process listens on the web server's port.

    Raises:
        ConfigurationError: The port is taken (another worker on this machine).
    """
    if not settings.web_enabled:
        return
    family = socket.AF_INET6 if ":" in settings.web_bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the server binds: a port left in TIME_WAIT is free to it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.web_bind, settings.web_port))
        except OSError as exc:
            taken = exc.errno == errno.EADDRINUSE
            what = "is in use (another worker here?)" if taken else f"fails: {exc}"
            msg = (
                f"the web server's address {settings.web_bind}:{settings.web_port} "
                f"{what}: set TETHER_WEB_PORT to a free port, or "
                "TETHER_WEB_ENABLED=false"
            )
            raise ConfigurationError(msg) from exc
