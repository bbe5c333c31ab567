"""One rate limit per deployment: two workers together stay within a system's
per-credential limit (DESIGN.md rule 19).

Customcrm's stand-in allows ``LIMIT`` requests per minute per API key, and so
does each worker's setting. Two workers share the creates of a first sync;
each takes half the limit, so in no minute does the stand-in receive more than
the limit. With each worker taking the whole limit, as before, they send up to
twice as much (the throttled requests included).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

from starlette.types import Receive, Scope, Send

from devkit.local import LocalDeployment
from standins import CustomcrmStandIn, StandIn, WebcrmStandIn
from standins.webcrm import seed_webcrm
from tests.integration.scenario import counts
from tests.integration.web import worker_ready

LIMIT = 120
DATA = (30, 60, 15)  # organisations, persons, products: three flows at once
WINDOW = 60.0
SHARED = "rate limits: 2 workers share each system's limit"


class CountedCustomcrm(CustomcrmStandIn):
    """Customcrm that notes when each API request arrives, throttled ones too."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self._lock = threading.Lock()
        super().__init__()

    def _build_app(self) -> Any:
        inner = super()._build_app()

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and not scope["path"].startswith("/_admin"):
                with self._lock:
                    self.arrivals.append(time.monotonic())
            await inner(scope, receive, send)

        return app

    def busiest_window(self) -> int:
        """The most requests that arrived within any ``WINDOW`` seconds."""
        with self._lock:
            stamps = sorted(self.arrivals)
        inside: deque[float] = deque()
        most = 0
        for stamp in stamps:
            inside.append(stamp)
            while inside[0] <= stamp - WINDOW:
                inside.popleft()
            most = max(most, len(inside))
        return most


def logged(local: LocalDeployment, name: str, text: str) -> bool:
    path = local.log_path(name)
    return path.exists() and text in path.read_text(errors="replace")


def test_two_workers_together_stay_within_the_per_credential_limit(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    webcrm, customcrm = WebcrmStandIn().start(), CountedCustomcrm().start()
    standins: dict[str, StandIn] = {"webcrm": webcrm, "customcrm": customcrm}
    local = LocalDeployment(
        bootstrap=kafka_bootstrap,
        app_id=f"it-{uuid.uuid4().hex[:10]}",
        home=tmp_path,
        standins=standins,
        flows="webcrm-customcrm",
        extra_env={"CUSTOMCRM_RATE_LIMIT_PER_MINUTE": str(LIMIT)},
    )
    try:
        customcrm.set_faults(rate_limit=LIMIT, rate_window_s=WINDOW)
        local.start_worker("w1")
        local.wait_for(lambda: worker_ready(local, "w1"), what="w1")
        local.start_worker("w2")
        local.wait_for(
            lambda: logged(local, "w1", SHARED) and logged(local, "w2", SHARED),
            timeout=180,
            what="both workers to learn that they share the limits",
        )
        seed_webcrm(webcrm, organisations=DATA[0], persons=DATA[1], products=DATA[2])
        local.wait_for(
            lambda: counts(customcrm) == DATA,
            timeout=600,
            what="the first sync under the shared limit",
        )
        for name in ("w1", "w2"):  # both wrote
            assert logged(local, name, "created Contact"), name
        # A request's stamp here and in its worker differ by the trip: slack 2.
        assert customcrm.busiest_window() <= LIMIT + 2
        assert customcrm.injector.injected[429] <= 2
    finally:
        local.stop()
        webcrm.stop()
        customcrm.stop()
