"""Start, find and stop the broker JVM: pid file, detached or owned child."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def read_pid(path: Path) -> int | None:
    """The pid recorded in ``path``, or None when missing or garbled."""
    try:
        pid = int(path.read_text("ascii").strip())
    except (OSError, ValueError):
        return None
    return pid if pid > 0 else None


def write_pid(path: Path, pid: int) -> None:
    """Record ``pid`` atomically, so a reader never sees half a number."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{pid}\n", "ascii")
    os.replace(tmp, path)


def remove_pid(path: Path) -> None:
    """Forget the recorded pid."""
    path.unlink(missing_ok=True)


def is_alive(pid: int) -> bool:
    """Whether ``pid`` runs; reaps it first if it is our own exited child."""
    with contextlib.suppress(ChildProcessError):
        # A detached broker we spawned stays a zombie until reaped, and a
        # zombie still answers kill(pid, 0).
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, and not ours to touch
    return True


def is_broker_process(pid: int, config: Path) -> bool:
    """Whether ``pid`` is a Kafka broker started with ``config``.

    Guards against a stale pid file whose number the OS gave to another
    process. Without ``/proc`` (not Linux) a live pid is trusted.
    """
    if not is_alive(pid):
        return False
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return sys.platform != "linux"
    except OSError:
        return False
    args = raw.decode("utf-8", "replace").split("\0")
    return "kafka.Kafka" in args and str(config) in args


def spawn_detached(command: Sequence[str], log_path: Path, cwd: Path) -> int:
    """Start ``command`` in its own session, outliving this process; return its pid.

    ``posix_spawn`` rather than ``subprocess.Popen``: no Popen object is left to
    complain that its child is still running when the CLI exits.
    """
    del cwd  # posix_spawn has no cwd; every path in the command is absolute
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_path), flags, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    return os.posix_spawnp(
        command[0], list(command), os.environ, file_actions=actions, setsid=True
    )


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    # Linux only: the owned broker gets SIGTERM when the process that started
    # it dies, so a killed test run does not leave a JVM behind.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def spawn_owned(
    command: Sequence[str], log_path: Path, cwd: Path
) -> subprocess.Popen[bytes]:
    """Start ``command`` as a child that ends with this process.

    Call it from a long-lived thread: the death signal follows the thread that
    forked, not the whole process.
    """
    with log_path.open("ab") as log:
        return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            list(command),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )


def terminate(pid: int, timeout: float) -> bool:
    """SIGTERM ``pid`` (Kafka's shutdown hook stops cleanly), SIGKILL after ``timeout``.

    Returns True when the clean stop worked, False when it had to kill.
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_gone(pid, timeout):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_gone(pid, 10.0)
    return False


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for ``pid`` to exit."""
    deadline = time.monotonic() + timeout
    while is_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True
