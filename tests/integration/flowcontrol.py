"""Helpers for tests of paused flows: run ``tether`` commands, read a flow's state."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

from devkit.local import LocalDeployment
from streams.control import read_states
from streams.settings import StreamSettings


def tether(local: LocalDeployment, *argv: str) -> str:
    """Run a ``tether`` command against the deployment; its output."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "ops", *argv],
        env=local.worker_env("cli"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def flow_state(local: LocalDeployment, flow: str) -> dict[str, Any]:
    """The flow's entry in the control table (empty while never paused)."""
    settings = StreamSettings(kafka_bootstrap=local.bootstrap, app_id=local.app_id)
    found: dict[str, Any] = asyncio.run(read_states(settings)).get(flow) or {}
    return found


def tether_code(local: LocalDeployment, *argv: str) -> tuple[int, str]:
    """Run a ``tether`` command against the deployment; its exit code and output."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "ops", *argv],
        env=local.worker_env("cli"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr
