"""A whole deployment on one machine: stand-ins, worker processes, topic reading.

The demo and the integration tests both drive tether through this: workers run
as real ``tether worker`` processes (so they can be SIGKILLed and restarted),
the stand-ins run in this process, and topics are read back with aiokafka.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.errors import FatalError
from schemas.catalog import SYSTEMS
from standins.base import StandIn
from streams.kafka_io import read_all, read_since
from streams.topics import TopicNames


@dataclass
class LocalDeployment:
    """Stand-ins plus worker processes of one tether deployment (one app id)."""

    bootstrap: str
    app_id: str
    home: Path
    standins: dict[str, StandIn]
    flows: str = "all"
    partitions: int = 4
    poll_interval: float = 2.0
    extra_env: dict[str, str] = field(default_factory=dict)
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    push: bool = False
    """Webhooks on for the systems that offer them (polling stays on)."""
    web_ports: dict[str, int] = field(default_factory=dict)
    """Each worker's web server port: several workers share this machine."""
    log_level: str = "info"
    """The workers' ``--loglevel`` (``debug`` shows the libraries' INFO lines)."""
    _push_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def topics(self) -> TopicNames:
        """Topic names of this deployment."""
        return TopicNames(self.app_id)

    def worker_env(self, name: str) -> dict[str, str]:
        """The environment of one worker process."""
        prefixes = ("TETHER_", *(f"{system.upper()}_" for system in SYSTEMS))
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        env.update(
            {
                "TETHER_KAFKA_BOOTSTRAP": self.bootstrap,
                "TETHER_APP_ID": self.app_id,
                "TETHER_DATA_DIR": str(self.home / f"state-{name}"),
                "TETHER_PARTITIONS": str(self.partitions),
                "TETHER_POLL_INTERVAL": str(self.poll_interval),
                "TETHER_FLOWS": self.flows,
                "PYTHONUNBUFFERED": "1",
            }
        )
        for standin in self.standins.values():
            env.update(standin.connector_env())
        env["TETHER_WEB_PORT"] = str(self.web_port(name))
        if self.push:
            env.update(self._push_env(name))
        env.update(self.extra_env)
        return env

    def web_port(self, name: str = "w1") -> int:
        """A worker's web server port: free when first asked, then kept, so a
        restarted worker answers where it did."""
        if name not in self.web_ports:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.web_ports[name] = probe.getsockname()[1]
        return self.web_ports[name]

    def web_url(self, name: str = "w1") -> str:
        """The base URL of a worker's web server (status page, health, metrics)."""
        return f"http://127.0.0.1:{self.web_port(name)}"

    def receiver_url(self, name: str = "w1") -> str:
        """The base URL of a worker's webhook receiver (its web server)."""
        return self.web_url(name)

    def _push_env(self, name: str) -> dict[str, str]:
        # The stand-ins send to the worker started last (one receiver at a
        # time, as behind a load balancer); Webcrm's hooks are registered by
        # each worker itself.
        url = self.receiver_url(name)
        env = {"TETHER_WEB_ENABLED": "true", "TETHER_PUBLIC_URL": url}
        for standin in self.standins.values():
            env.update(standin.enable_push(url, self._push_secret))
        return env

    def log_path(self, name: str) -> Path:
        """Where a worker's output goes."""
        return self.home / f"worker-{name}.log"

    def start_worker(self, name: str = "w1") -> subprocess.Popen[bytes]:
        """Start ``tether worker`` as a child process; output appends to its log."""
        self.home.mkdir(parents=True, exist_ok=True)
        log = self.log_path(name).open("ab")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "ops", "worker", "--loglevel", self.log_level],
            env=self.worker_env(name),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.workers[name] = process
        return process

    def kill_worker(self, name: str = "w1") -> None:
        """SIGKILL a worker: no shutdown, no commit, no flush."""
        process = self.workers.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop_worker(self, name: str = "w1", timeout: float = 60.0) -> int:
        """Stop a worker gracefully (SIGTERM), SIGKILL if it hangs; its exit code."""
        process = self.workers.pop(name)
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait(timeout=30)

    def stop(self) -> None:
        """Stop every worker."""
        for name in list(self.workers):
            self.stop_worker(name)

    def assert_workers_alive(self) -> None:
        """Raise with the log tail when a worker died on its own."""
        for name, process in self.workers.items():
            if process.poll() is not None:
                tail = self.log_path(name).read_text(errors="replace")[-4000:]
                msg = f"worker {name} exited with {process.returncode}:\n{tail}"
                raise FatalError(msg)

    def wait_for(
        self,
        condition: Callable[[], bool],
        *,
        timeout: float = 120.0,
        what: str = "condition",
        interval: float = 0.5,
    ) -> None:
        """Poll ``condition`` until true; fail with worker logs when it never is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            self.assert_workers_alive()
            time.sleep(interval)
        tails = "\n".join(
            f"--- {n}:\n{self.log_path(n).read_text(errors='replace')[-3000:]}"
            for n in self.workers
        )
        msg = f"timed out after {timeout}s waiting for {what}\n{tails}"
        raise TimeoutError(msg)

    def read_topic(self, topic: str) -> list[tuple[str | None, Any]]:
        """Every message of ``topic`` from the start, values decoded from JSON."""
        return asyncio.run(read_all(self.bootstrap, topic))

    def read_topic_since(
        self, topic: str, since: dict[int, int]
    ) -> tuple[list[tuple[str | None, Any]], dict[int, int]]:
        """The messages of ``topic`` after ``since``, and where to go on next time."""
        return asyncio.run(read_since(self.bootstrap, topic, since))


def latest_by_key(messages: list[tuple[str | None, Any]]) -> dict[str, Any]:
    """Compact a topic's messages to the last value per key (deletes drop the key)."""
    latest: dict[str, Any] = {}
    for key, value in messages:
        if key is None:
            continue
        if value is None:
            latest.pop(key, None)
        else:
            latest[key] = value
    return latest
