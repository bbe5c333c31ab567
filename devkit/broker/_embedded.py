"""``EmbeddedBroker``: one local KRaft Kafka node run from the Maven jars."""

from __future__ import annotations

import enum
import logging
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from connectors.errors import ConfigurationError, FatalError
from devkit.broker import _config, _process
from devkit.broker._jars import JarSet, ensure_jar_set, read_marker
from devkit.broker._settings import HOST, BrokerSettings
from streams.probe import is_ready, port_open

logger = logging.getLogger(__name__)


class BrokerMode(enum.Enum):
    """Who owns the JVM's lifetime."""

    DETACHED = "detached"  # outlives the starting process (``tether broker start``)
    OWNED = "owned"  # a child, stopped with its owner (tests, demo)


@dataclass(frozen=True)
class BrokerStatus:
    """What ``tether broker status`` reports."""

    running: bool
    answering: bool
    pid: int | None
    bootstrap: str
    version: str | None
    home: Path


class EmbeddedBroker:
    """A single-node Kafka broker under ``settings.home``, on 127.0.0.1.

    ``start()`` downloads the jars if needed, formats the storage once and starts
    the JVM; a broker already running from the same home is reused. ``stop()``
    sends SIGTERM, then SIGKILL after ``settings.stop_timeout``. Data survive a
    stop, so a restart keeps every topic.

    An owned broker gets SIGTERM (Linux) when the *thread* that started it ends,
    so start it from a long-lived thread, not from ``asyncio.to_thread``.
    """

    def __init__(
        self, settings: BrokerSettings, *, mode: BrokerMode = BrokerMode.OWNED
    ) -> None:
        self.settings = settings
        self.mode = mode
        self.home = settings.home_dir
        self.data_dir = self.home / "data"
        self.logs_dir = self.home / "logs"
        self.config_path = self.home / "server.properties"
        self.log4j2_path = self.home / "log4j2.properties"
        self.pid_path = self.home / "broker.pid"
        self.console_log = self.logs_dir / "console.log"
        self._child: subprocess.Popen[bytes] | None = None
        self._started_here = False

    @property
    def bootstrap(self) -> str:
        """``host:port`` for clients."""
        return self.settings.bootstrap

    @property
    def server_log(self) -> Path:
        """The broker's own log file."""
        return self.logs_dir / "server.log"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._started_here:
            self.stop()

    def _require_java(self) -> None:
        if shutil.which(self.settings.java) is None:
            msg = (
                f"Java ({self.settings.java!r}) not found; the Kafka broker needs "
                "Java 17+: install it (apt-get install openjdk-17-jre-headless) "
                "or set TETHER_BROKER_JAVA"
            )
            raise ConfigurationError(msg)

    def running_pid(self) -> int | None:
        """The pid of this home's broker if it runs; clears a stale pid file."""
        if self._child is not None and self._child.poll() is None:
            return self._child.pid
        pid = _process.read_pid(self.pid_path)
        if pid is None:
            return None
        if _process.is_broker_process(pid, self.config_path):
            return pid
        logger.info("removing stale pid file %s (pid %d)", self.pid_path, pid)
        _process.remove_pid(self.pid_path)
        return None

    def start(self, timeout: float | None = None) -> None:
        """Start the broker (or reuse the running one) and wait until it answers."""
        timeout = self.settings.start_timeout if timeout is None else timeout
        pid = self.running_pid()
        if pid is not None:
            if self._wait_ready(pid, timeout):
                logger.info("Kafka already running at %s (pid %d)", self.bootstrap, pid)
                return
            msg = f"Kafka in {self.home} (pid {pid}) runs but does not answer"
            raise FatalError(msg)
        self._require_java()
        for port in (self.settings.port, self.settings.controller_port):
            if port_open(HOST, port):
                msg = f"port {port} on {HOST} is taken by another process"
                raise ConfigurationError(msg)
        jars = ensure_jar_set(self.settings)
        self._prepare(jars)
        command = _config.broker_command(
            self.settings,
            jars.classpath(),
            config=self.config_path,
            log4j2=self.log4j2_path,
            logs_dir=self.logs_dir,
        )
        logger.info("starting Kafka %s at %s", jars.kafka_version, self.bootstrap)
        if self.mode is BrokerMode.DETACHED:
            pid = _process.spawn_detached(command, self.console_log, self.home)
        else:
            self._child = _process.spawn_owned(command, self.console_log, self.home)
            pid = self._child.pid
        _process.write_pid(self.pid_path, pid)
        self._started_here = True
        if not self._wait_ready(pid, timeout):
            self.stop()
            msg = f"Kafka did not answer within {timeout:.0f}s; see {self.server_log}"
            raise FatalError(msg)

    def _prepare(self, jars: JarSet) -> None:
        for folder in (self.home, self.data_dir, self.logs_dir):
            folder.mkdir(parents=True, exist_ok=True)
        values = _config.server_properties(self.settings, self.data_dir)
        self.config_path.write_text(_config.render_properties(values), "utf-8")
        self.log4j2_path.write_text(_config.log4j2_text(), "utf-8")
        if (self.data_dir / "meta.properties").exists():
            return  # formatted before: keep the data, and the topics with it
        command = _config.format_command(
            self.settings,
            jars.classpath(),
            config=self.config_path,
            log4j2=self.log4j2_path,
            logs_dir=self.logs_dir,
            cluster_id=_config.new_cluster_id(),
        )
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            command, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
            msg = "formatting Kafka storage failed: " + " | ".join(tail)
            raise FatalError(msg)

    def _wait_ready(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._alive(pid):
                msg = f"Kafka exited while starting; see {self.server_log}"
                _process.remove_pid(self.pid_path)
                raise FatalError(msg)
            if is_ready(self.bootstrap, request_timeout=5.0):
                return True
            time.sleep(0.2)
        return False

    def _alive(self, pid: int) -> bool:
        if self._child is not None and self._child.pid == pid:
            return self._child.poll() is None
        return _process.is_alive(pid)

    def stop(self) -> bool:
        """Stop this home's broker; False when nothing was running."""
        pid = self.running_pid()
        if pid is None:
            return False
        logger.info("stopping Kafka (pid %d)", pid)
        if self._child is not None and self._child.pid == pid:
            self._child.terminate()
            try:
                self._child.wait(self.settings.stop_timeout)
            except subprocess.TimeoutExpired:
                logger.warning("Kafka ignored SIGTERM; killing pid %d", pid)
                self._child.kill()
                self._child.wait()
            self._child = None
        elif not _process.terminate(pid, self.settings.stop_timeout):
            logger.warning("Kafka ignored SIGTERM; killed pid %d", pid)
        _process.remove_pid(self.pid_path)
        self._started_here = False
        return True

    def restart(self, timeout: float | None = None) -> None:
        """Stop, then start again on the same data."""
        self.stop()
        self.start(timeout)

    def status(self) -> BrokerStatus:
        """Pid, bootstrap, version, and whether the broker answers right now."""
        pid = self.running_pid()
        jars = read_marker(self.settings.libs_dir)
        return BrokerStatus(
            running=pid is not None,
            answering=pid is not None and is_ready(self.bootstrap, request_timeout=3.0),
            pid=pid,
            bootstrap=self.bootstrap,
            version=jars.kafka_version if jars is not None else None,
            home=self.home,
        )
