"""Pieces of the worker's web pages: the status cache, the port check, ports per
local worker."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from connectors.errors import ConfigurationError
from devkit.local import LocalDeployment
from streams.settings import StreamSettings
from streams.webui import check_web_port
from streams.webui.cache import Recent


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_value_is_reused_for_its_interval_and_computed_once() -> None:
    clock = Clock()
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return calls

    recent = Recent(compute, 2.0, clock)
    assert await asyncio.gather(*(recent.get() for _ in range(5))) == [1] * 5
    clock.now += 1.9
    assert await recent.get() == 1
    clock.now += 0.1
    assert await recent.get() == 2


async def test_forget_during_a_computation_computes_again() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        started.set()
        if calls == 1:
            await release.wait()
        return calls

    recent = Recent(compute, 60.0, Clock())
    first = asyncio.create_task(recent.get())
    await started.wait()
    recent.forget()  # e.g. a pause was written while the read ran
    release.set()
    assert await first == 1
    assert await recent.get() == 2


def test_a_taken_web_port_stops_start_up_naming_the_settings() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = StreamSettings(web_port=port)
        with pytest.raises(ConfigurationError, match="TETHER_WEB_PORT") as caught:
            check_web_port(settings)
        assert f"127.0.0.1:{port} is in use" in str(caught.value)
        check_web_port(StreamSettings(web_port=port, web_enabled=False))
    check_web_port(StreamSettings(web_port=port))  # free again


def test_every_local_worker_gets_a_web_port_of_its_own(tmp_path: Path) -> None:
    local = LocalDeployment("127.0.0.1:1", "t", tmp_path, {})
    one, two = local.worker_env("w1"), local.worker_env("w2")
    assert one["TETHER_WEB_PORT"] != two["TETHER_WEB_PORT"]
    assert local.worker_env("w1")["TETHER_WEB_PORT"] == one["TETHER_WEB_PORT"]
    assert local.web_url("w2").endswith(":" + two["TETHER_WEB_PORT"])
    assert "TETHER_WEB_ENABLED" not in one  # on by default


def test_the_web_server_is_on_by_default_and_local_only() -> None:
    settings = StreamSettings()
    assert settings.web_enabled is True
    assert settings.web_bind == "127.0.0.1"
    assert settings.control_token is None
    secret = StreamSettings(control_token="s3cret-token")  # type: ignore[arg-type]
    assert "s3cret-token" not in str(secret.public_dict())
