"""The status page and the operator endpoints on the worker's web server.

``GET /`` (the live page), ``/static/{asset}``, ``/health``, ``/ready``,
``/metrics``, ``/status``, ``/flows/{flow}``, and ``POST /flows/{flow}/pause``
and ``/resume`` (bearer token ``TETHER_CONTROL_TOKEN``).
"""

from __future__ import annotations

import logging
from importlib.resources import files
from typing import Any

import faust
import orjson
from aiokafka.errors import KafkaError
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from connectors.errors import SyncError
from engine.metrics import REGISTRY
from streams.webui import pausing
from streams.webui.site import StatusSite

log = logging.getLogger(__name__)

ASSETS = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "style.css": "text/css",
}
_NO_STORE = {"Cache-Control": "no-store"}
_PAGE_HEADERS = {
    **_NO_STORE,
    # Only its own script and style run; the icon is an empty data: URL.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}
UNAVAILABLE = (SyncError, KafkaError, OSError, TimeoutError)
"""What reading Kafka for a page may raise: 503, the page tries again."""


def asset(name: str) -> bytes:
    """One file of the page, from the package's data."""
    return files("streams.webui").joinpath("static", name).read_bytes()


def wire_routes(app: faust.App, site: StatusSite, resume_grace: float) -> None:
    """Add every route to ``app``'s web server; the page first, so that it, not
    faust's own index, answers ``/``."""
    app.page("/", name="status-page")(_static_view("index.html"))
    app.page("/static/{name}", name="status-assets")(_assets_view())
    app.page("/health", name="health")(_health_view())
    app.page("/ready", name="ready")(_ready_view(site))
    if "/metrics" not in app.web.views:  # served already where metrics are wired
        app.page("/metrics", name="metrics")(_metrics_view())
    app.page("/status", name="status")(_status_view(site))
    app.page("/flows/{flow}", name="flow")(_flow_view(site))
    for action in ("pause", "resume"):
        view = _control_view(site, action, resume_grace)
        app.page(f"/flows/{{flow}}/{action}", name=f"flow-{action}")(view)


def _json(view: View, value: Any, status: int = 200) -> Response:
    # orjson: pydantic's JSON dumps and datetimes as they are.
    body = orjson.dumps(value)
    return view.bytes(
        body, content_type="application/json", status=status, headers=dict(_NO_STORE)
    )


def _unavailable(view: View, what: str, exc: BaseException) -> Response:
    detail = f"{what} cannot be read now: {exc}"
    log.warning("status page: %s", detail)
    return _json(view, {"detail": detail}, status=503)


def _static_view(name: str) -> type[View]:
    class Page(View):
        """The live status page."""

        async def get(self, request: Request) -> Response:
            return self.bytes(
                asset(name), content_type=ASSETS[name], headers=dict(_PAGE_HEADERS)
            )

    return Page


def _assets_view() -> type[View]:
    class Assets(View):
        """The page's script and style sheet (nothing else is served)."""

        async def get(self, request: Request, name: str) -> Response:
            if name not in ASSETS:
                return _json(self, {"detail": f"no asset {name}"}, status=404)
            return self.bytes(
                asset(name), content_type=ASSETS[name], headers=dict(_NO_STORE)
            )

    return Assets


def _health_view() -> type[View]:
    class Health(View):
        """200 while the process runs."""

        async def get(self, request: Request) -> Response:
            return _json(self, {"status": "ok"})

    return Health


def _ready_view(site: StatusSite) -> type[View]:
    class Ready(View):
        """200 when the worker can sync; 503 naming what it waits for."""

        async def get(self, request: Request) -> Response:
            state = site.readiness()
            return _json(self, state.as_json(), status=200 if state.ready else 503)

    return Ready


def _metrics_view() -> type[View]:
    class Metrics(View):
        """tether's (and faust's) metrics in Prometheus's text format."""

        async def get(self, request: Request) -> Response:
            # aiohttp takes a content type with parameters only as a header.
            headers = {"Content-Type": CONTENT_TYPE_LATEST, **_NO_STORE}
            return self.bytes(generate_latest(REGISTRY), headers=headers)

    return Metrics


def _status_view(site: StatusSite) -> type[View]:
    class Status(View):
        """The deployment's status: ``schemas.observe.DeploymentStatus``."""

        async def get(self, request: Request) -> Response:
            try:
                status = await site.status()
            except UNAVAILABLE as exc:
                return _unavailable(self, "the status", exc)
            return _json(self, status.model_dump(mode="json"))

    return Status


def _flow_view(site: StatusSite) -> type[View]:
    class FlowDetail(View):
        """One flow: status, newest writes and dead letters."""

        async def get(self, request: Request, flow: str) -> Response:
            if flow not in site.flows:
                return _json(self, {"detail": f"no flow {flow} here"}, status=404)
            try:
                detail = await site.flow_detail(flow)
            except UNAVAILABLE as exc:
                return _unavailable(self, f"flow {flow}", exc)
            return _json(self, detail)

    return FlowDetail


def _control_view(site: StatusSite, action: str, resume_grace: float) -> type[View]:
    class Control(View):
        """``POST``: pause or resume a flow in every worker (bearer token)."""

        async def post(self, request: Request, flow: str) -> Response:
            refused = pausing.refusal(
                site.settings.control_token, request.headers.get("Authorization", "")
            )
            if refused is not None:
                return _json(self, {"detail": refused.detail}, status=refused.status)
            if flow not in site.flows:
                return _json(self, {"detail": f"no flow {flow} here"}, status=404)
            try:
                if action == "pause":
                    state = await pausing.pause(
                        site.settings, flow, await _reason(request)
                    )
                else:
                    state = await pausing.resume(site.settings, flow, resume_grace)
            except UNAVAILABLE as exc:
                return _unavailable(self, f"{action} of {flow}", exc)
            site.forget_status()
            log.warning("%s %sd from the status page", flow, action)
            return _json(self, state.model_dump(mode="json"))

    return Control


async def _reason(request: Request) -> str:
    """The optional ``{"reason": ...}`` of a pause."""
    if not request.body_exists:
        return ""
    try:
        body = await request.json()
    except ValueError:
        return ""
    reason = body.get("reason") if isinstance(body, dict) else None
    return str(reason)[:500] if reason else ""
