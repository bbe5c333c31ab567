"""The worker's Prometheus metrics, on a registry of their own (``GET /metrics``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

REGISTRY = CollectorRegistry()
"""Every tether metric; the worker's web server exposes it at ``/metrics``."""
