"""``GET /metrics`` on the worker's web server: ``engine.metrics.REGISTRY``."""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from engine.metrics import REGISTRY


def wire_metrics_page(app: faust.App) -> None:
    """Serve the metrics in Prometheus' text format."""

    class MetricsView(View):
        async def get(self, request: Request, **_: Any) -> Response:
            body = generate_latest(REGISTRY)
            # aiohttp takes the charset apart from the content type.
            content_type = CONTENT_TYPE_LATEST.split("; charset=")[0]
            return self.bytes(body, content_type=content_type)

    app.page("/metrics", name="metrics")(MetricsView)
