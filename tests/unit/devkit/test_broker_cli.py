"""``tether broker``: parser wiring and one-line errors (no broker started)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.cli import EX_CONFIG, build_parser, main


@pytest.fixture(autouse=True)
def isolated_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    # The CLI reads TETHER_BROKER_* itself; point it at an empty home.
    for name in ("LIBS", "PORT", "CONTROLLER_PORT", "HEAP", "JAVA", "MVN"):
        monkeypatch.delenv(f"TETHER_BROKER_{name}", raising=False)
    monkeypatch.setenv("TETHER_BROKER_HOME", str(tmp_path / "kafka"))
    monkeypatch.setenv("TETHER_BROKER_PORT", "29092")
    monkeypatch.setenv("TETHER_BROKER_CONTROLLER_PORT", "29093")
    return tmp_path / "kafka"


@pytest.mark.parametrize("action", ["start", "stop", "status"])
def test_actions_are_registered(action: str) -> None:
    args = build_parser().parse_args(["broker", action])
    assert callable(args.func)


def test_status_not_running(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["broker", "status"]) == 3
    assert "not running" in capsys.readouterr().out


def test_stop_not_running(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["broker", "stop"]) == 0
    assert "was not running" in capsys.readouterr().out


def test_bad_settings_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TETHER_BROKER_HEAP", "lots")

    assert main(["broker", "start"]) == EX_CONFIG
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "TETHER_BROKER_HEAP" in err
    assert "Traceback" not in err


def test_missing_java_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TETHER_BROKER_JAVA", "no-such-java")

    assert main(["broker", "start"]) == EX_CONFIG
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Java 17" in err
