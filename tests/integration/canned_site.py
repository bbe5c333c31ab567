"""The status page's routes served from a canned status, for browser tests of what
the page draws in states a small real scenario does not reach."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import faust
from aiohttp import web

from dataflows import flows_by_name, load_documents
from engine.health import SystemHealth
from schemas.observe import DeploymentStatus
from streams.settings import StreamSettings
from streams.webui.readiness import Readiness
from streams.webui.routes import wire_routes
from streams.webui.site import StatusSite
from tests.integration.conftest import free_port


class CannedSite(StatusSite):
    """A site that answers ``status`` with a given value, never reading Kafka."""

    canned: DeploymentStatus

    def readiness(self) -> Readiness:
        return Readiness(tables_recovered=True, partitions=1, rebalancing=False)

    async def _read_status(self) -> DeploymentStatus:
        return self.canned

    async def flow_detail(self, flow: str) -> dict[str, Any]:
        found = [f for f in self.canned.flows if f.flow == flow]
        return {
            "flow": found[0].model_dump(mode="json") if found else None,
            "writes": [],
            "dead_letters": [],
            "control_enabled": self.control_enabled,
        }


async def _never(_: Any) -> None:
    raise AssertionError(_)


@contextmanager
def serve_canned(home: Path, status: DeploymentStatus) -> Iterator[str]:
    """The page's routes on a free port, in a thread; the base URL."""
    app = faust.App("canned", datadir=str(home), autodiscover=False)
    names = {f.flow for f in status.flows}
    flows = {k: v for k, v in flows_by_name(load_documents()).items() if k in names}
    site = CannedSite(
        app, StreamSettings(app_id=status.app_id), flows, SystemHealth(_never, _never)
    )
    site.canned = status
    wire_routes(app, site, resume_grace=60.0)
    app.web.init_server()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = web.AppRunner(app.web.web_app)
    port = free_port()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
