"""Webhook delivery from a stand-in: queued, sent from a thread, retried a little.

A real sender never makes its API wait for a webhook: a change is queued and
POSTed from a background thread, in order. A failed delivery (no answer, or
anything but 2xx) is tried again a few times with growing pauses, then dropped,
as real senders do; the receiver's polling is the safety net.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

logger = logging.getLogger(__name__)

# Pauses before the 2nd, 3rd and 4th attempt; then the delivery is dropped.
RETRY_DELAYS_S = (0.2, 1.0, 3.0)
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Outgoing:
    """One webhook POST to make."""

    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class DeliveryStats:
    """What the sender did (tests and benchmarks read it)."""

    delivered: int = 0
    failed_attempts: int = 0
    dropped: int = 0


class WebhookSender:
    """Sends ``Outgoing`` POSTs in order from one daemon thread."""

    def __init__(
        self, name: str, retry_delays: tuple[float, ...] = RETRY_DELAYS_S
    ) -> None:
        self.name = name
        self.retry_delays = retry_delays
        self.stats = DeliveryStats()
        self._queue: queue.Queue[Outgoing | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    def send(self, outgoing: Outgoing) -> None:
        """Queue one POST; returns at once."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name=f"webhooks-{self.name}", daemon=True
                )
                self._thread.start()
            self._idle.clear()
            self._queue.put(outgoing)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued was delivered or dropped."""
        return self._idle.wait(timeout)

    def stop(self) -> None:
        """Stop the thread after what is queued (undelivered work is dropped)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=TIMEOUT_S)

    def _run(self) -> None:
        with httpx.Client(timeout=TIMEOUT_S) as client:
            while True:
                outgoing = self._queue.get()
                if outgoing is None:
                    return
                self._deliver(client, outgoing)
                if self._queue.empty():
                    self._idle.set()

    def _deliver(self, client: httpx.Client, outgoing: Outgoing) -> None:
        headers = {"content-type": "application/json", **outgoing.headers}
        for attempt in range(len(self.retry_delays) + 1):
            if attempt:
                time.sleep(self.retry_delays[attempt - 1])
            try:
                response = client.post(
                    outgoing.url, content=outgoing.body, headers=headers
                )
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            else:
                if response.is_success:
                    self.stats.delivered += 1
                    return
                problem = f"HTTP {response.status_code}"
            self.stats.failed_attempts += 1
            logger.info("%s webhook attempt %d: %s", self.name, attempt + 1, problem)
        self.stats.dropped += 1
        logger.warning("%s webhook dropped after %d attempts", self.name, attempt + 1)


class Webhooks:
    """What a stand-in sends on each write (``Store.listener``); none by default."""

    webhooks: WebhookSender

    def webhook_calls(
        self, resource: str, key: Any, record: Any, kind: str
    ) -> list[Outgoing]:
        """The webhook POSTs a write causes (``kind``: created, updated, deleted).

        Called under the store lock; the POSTs leave from another thread.
        """
        return []

    def enable_push(self, receiver_url: str, secret: str) -> dict[str, str]:
        """Point this system's webhooks at tether's receiver (base URL).

        Returns the worker environment that makes tether accept them; ``{}``
        for a system whose real API has no webhooks (it stays polled).
        """
        return {}

    def _changed(self, resource: str, key: Any, record: Any, kind: str) -> None:
        for outgoing in self.webhook_calls(resource, key, record, kind):
            self.webhooks.send(outgoing)
