"""Pid files, liveness, stop escalation, and EmbeddedBroker's refusals."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest

from connectors.errors import ConfigurationError
from devkit.broker import BrokerMode, BrokerSettings, EmbeddedBroker
from devkit.broker import _process as process

IGNORE_TERM = (
    "import signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def spawn_python(code: str, log: Path) -> int:
    pid = process.spawn_detached([sys.executable, "-c", code], log, log.parent)
    deadline = time.monotonic() + 10
    while "ready" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline, "child did not start"
        time.sleep(0.05)
    return pid


def test_pid_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "broker.pid"
    assert process.read_pid(path) is None

    process.write_pid(path, 4242)
    assert process.read_pid(path) == 4242

    process.remove_pid(path)
    assert not path.exists()


@pytest.mark.parametrize("content", ["", "abc", "-5", "0"])
def test_garbled_pid_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "broker.pid"
    path.write_text(content)
    assert process.read_pid(path) is None


def test_exited_detached_child_is_not_alive(tmp_path: Path) -> None:
    pid = process.spawn_detached(
        [sys.executable, "-c", "pass"], tmp_path / "out.log", tmp_path
    )
    # Until reaped it is a zombie, which kill(pid, 0) would still find.
    assert process.wait_gone(pid, 10.0)
    assert not process.is_alive(pid)


def test_terminate_stops_with_sigterm(tmp_path: Path) -> None:
    pid = spawn_python(
        "print('ready', flush=True)\nimport time; time.sleep(60)", tmp_path / "a.log"
    )

    assert process.terminate(pid, timeout=10.0) is True
    assert not process.is_alive(pid)


def test_terminate_escalates_to_sigkill(tmp_path: Path) -> None:
    pid = spawn_python(IGNORE_TERM, tmp_path / "b.log")

    assert process.terminate(pid, timeout=0.5) is False
    assert not process.is_alive(pid)


def test_a_live_non_kafka_pid_is_not_our_broker(tmp_path: Path) -> None:
    pid = spawn_python(IGNORE_TERM, tmp_path / "c.log")
    try:
        assert process.is_alive(pid)
        assert not process.is_broker_process(pid, tmp_path / "server.properties")
    finally:
        process.terminate(pid, timeout=0.5)


def settings(tmp_path: Path, **extra: object) -> BrokerSettings:
    return BrokerSettings.model_validate(
        {"home": tmp_path, "port": 29092, "controller_port": 29093, **extra}
    )


def test_stale_pid_file_is_cleared(tmp_path: Path) -> None:
    broker = EmbeddedBroker(settings(tmp_path))
    process.write_pid(broker.pid_path, os.getpid())  # alive, but not Kafka

    assert broker.running_pid() is None
    assert not broker.pid_path.exists()
    assert broker.stop() is False


def test_status_when_not_running(tmp_path: Path) -> None:
    status = EmbeddedBroker(settings(tmp_path), mode=BrokerMode.DETACHED).status()

    assert (status.running, status.answering, status.pid) == (False, False, None)
    assert status.bootstrap == "127.0.0.1:29092"


def test_start_without_java_says_how_to_fix(tmp_path: Path) -> None:
    broker = EmbeddedBroker(settings(tmp_path, java="no-such-java"))

    with pytest.raises(ConfigurationError, match="Java 17"):
        broker.start()


def test_start_refuses_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        # Any executable passes the Java check; the port check comes next.
        broker = EmbeddedBroker(settings(tmp_path, port=port, java=sys.executable))

        with pytest.raises(ConfigurationError, match=f"port {port}"):
            broker.start()
