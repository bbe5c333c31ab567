"""Shared by the web tests: a worker's web server, asked over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from devkit.local import LocalDeployment
from tests.integration.isolation import wait_until

TOKEN = "it-control-token-0123456789"  # noqa: S105 - a test's own token


def get(local: LocalDeployment, path: str) -> httpx.Response:
    """``GET path`` from the first worker's web server."""
    return httpx.get(local.web_url() + path, timeout=30.0)


def answers(local: LocalDeployment, path: str) -> httpx.Response | None:
    """``GET path``, or ``None`` while the web server is not listening yet."""
    try:
        return get(local, path)
    except httpx.TransportError:
        return None


def wait_for_web(local: LocalDeployment) -> None:
    """Until the worker's web server answers ``/health``."""

    def healthy() -> bool:
        response = answers(local, "/health")
        return response is not None and response.status_code == 200

    wait_until(local, healthy, "the web server to answer /health")


def status_of(local: LocalDeployment) -> dict[str, Any]:
    """``GET /status`` as JSON, flows by name."""
    response = get(local, "/status")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    body["by_flow"] = {f["flow"]: f for f in body["flows"]}
    return body


def worker_ready(local: LocalDeployment, name: str = "w1") -> bool:
    """Whether a worker's ``/ready`` says yes: tables recovered, partitions
    assigned (faust's own "Worker ready" line is below the default log level)."""
    try:
        response = httpx.get(local.web_url(name) + "/ready", timeout=10.0)
    except httpx.TransportError:
        return False
    return response.status_code == 200
