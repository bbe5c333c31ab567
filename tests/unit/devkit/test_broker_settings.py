"""BrokerSettings: defaults, env prefix, validation, derived paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from devkit.broker import BrokerSettings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's or CI's TETHER_BROKER_* must not change what is tested here.
    for name in ("HOME", "LIBS", "PORT", "CONTROLLER_PORT", "HEAP", "JAVA", "MVN"):
        monkeypatch.delenv(f"TETHER_BROKER_{name}", raising=False)


def test_defaults() -> None:
    settings = BrokerSettings()

    assert (settings.port, settings.controller_port) == (19092, 19093)
    assert settings.heap == "512m"
    assert settings.bootstrap == "127.0.0.1:19092"
    assert settings.home_dir == (Path.cwd() / ".kafka").resolve()
    assert settings.libs_dir == settings.home_dir / "libs"


def test_env_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TETHER_BROKER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TETHER_BROKER_LIBS", str(tmp_path / "jars"))
    monkeypatch.setenv("TETHER_BROKER_PORT", "29092")

    settings = BrokerSettings()

    assert settings.home_dir == tmp_path / "home"
    assert settings.libs_dir == tmp_path / "jars"
    assert settings.bootstrap == "127.0.0.1:29092"


def test_same_ports_refused() -> None:
    with pytest.raises(ValidationError, match="must differ"):
        BrokerSettings(port=29092, controller_port=29092)


@pytest.mark.parametrize("heap", ["lots", "0m", "-1g", "512 m"])
def test_bad_heap_refused(heap: str) -> None:
    with pytest.raises(ValidationError):
        BrokerSettings(heap=heap)


def test_frozen() -> None:
    settings = BrokerSettings()
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]
