"""``tether check`` on a real broker and real stand-ins: each kind of broken
setting gives its message and exit code, and a check changes nothing."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ops.cli import EX_CONFIG, EX_UNAVAILABLE, main
from schemas.catalog import SYSTEMS
from standins import CustomcrmStandIn, StandIn, WebcrmStandIn
from standins.webcrm import seed_webcrm
from streams.kafka_io import existing_topics
from tests.integration.conftest import REPO

PREFIXES = ("TETHER_", *(f"{system.upper()}_" for system in SYSTEMS))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def standins() -> Iterator[dict[str, StandIn]]:
    """Webcrm with sample data and an empty Customcrm: one document's flows."""
    started = {
        "webcrm": WebcrmStandIn().start(),
        "customcrm": CustomcrmStandIn().start(),
    }
    seed_webcrm(started["webcrm"])
    try:
        yield started
    finally:
        for standin in started.values():
            standin.stop()


@pytest.fixture
def environ(
    kafka_bootstrap: str,
    standins: dict[str, StandIn],
    monkeypatch: pytest.MonkeyPatch,
    unique_name: Callable[[str], str],
) -> dict[str, str]:
    """Only this deployment's settings in the environment; returns them."""
    env = {
        "TETHER_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TETHER_APP_ID": unique_name("check"),
    }
    for standin in standins.values():
        env.update(standin.connector_env())
    for key in list(os.environ):
        if key.startswith(PREFIXES) and key != "TETHER_BROKER_LIBS":
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["check", "--timeout", "20", *argv])
    return code, capsys.readouterr().out


def _snapshot(standins: dict[str, StandIn]) -> dict[str, Any]:
    return {
        (system, resource): standin.records(resource)
        for system, standin in standins.items()
        for resource in type(standin).all_resources()
    }


def test_a_good_deployment_is_all_ok_and_nothing_is_created_or_changed(
    environ, standins, capsys
):
    bootstrap = environ["TETHER_KAFKA_BOOTSTRAP"]
    topics = asyncio.run(existing_topics(bootstrap))
    records = _snapshot(standins)
    for standin in standins.values():
        standin.reset_counters()

    code, out = check(capsys, "--json")

    report = json.loads(out)
    assert code == 0, out
    assert report["ok"] is True
    outcomes = {(f["area"], f["subject"]): f["outcome"] for f in report["findings"]}
    assert outcomes[("broker", bootstrap)] == "ok"
    assert outcomes[("flows", "TETHER_FLOWS")] == "ok"
    assert outcomes[("settings", "StreamSettings")] == "ok"
    # One page of every type the webcrm-customcrm flows use, on both sides.
    for subject in ("Organisations", "Persons", "Products"):
        assert outcomes[("webcrm", subject)] == "ok"
    for subject in ("Customer", "Contact", "Product"):
        assert outcomes[("customcrm", subject)] == "ok"
    assert outcomes[("chargebee", "settings")] == "skipped"
    # Read-only: no topic created, not even the deployment's; no record changed.
    assert asyncio.run(existing_topics(bootstrap)) == topics
    assert not [t for t in topics if t.startswith(environ["TETHER_APP_ID"])]
    assert _snapshot(standins) == records
    assert [s.write_count() for s in standins.values()] == [0, 0]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("TETHER_PARTITIONS", "0", "TETHER_PARTITIONS: Input should be greater"),
        ("TETHER_RECORD_MAX_SECONDS", "soon", "TETHER_RECORD_MAX_SECONDS"),
        ("WEBCRM_BASE_URL", "ftp://crm", "WEBCRM_BASE_URL: Value error, must be an"),
        ("WEBCRM_BASE_URL", "http://crm.example.com", "must use https:// for crm"),
        ("CHARGEBEE_SITE", "acme.chargebee.com", "CHARGEBEE_SITE: Value error"),
        ("TETHER_FLOWS", "no-such-flow", "unknown flow or document 'no-such-flow'"),
        ("WEBCRM_API_TOKEN", "wrong-token", "webcrm refused the credentials"),
    ],
)
def test_each_wrong_setting_is_named_and_exits_ex_config(
    environ, capsys, monkeypatch, variable, value, expected
):
    monkeypatch.setenv(variable, value)
    code, out = check(capsys)
    assert code == EX_CONFIG, out
    assert expected in out
    assert "wrong-token" not in out  # a refused secret is never shown


def test_a_missing_credential_is_named(environ, capsys, monkeypatch):
    monkeypatch.delenv("CUSTOMCRM_API_KEY")
    code, out = check(capsys)
    assert code == EX_CONFIG, out
    assert "CUSTOMCRM_API_KEY: Field required" in out


def test_an_unreachable_broker_is_named_by_its_address(environ, capsys, monkeypatch):
    address = f"127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("TETHER_KAFKA_BOOTSTRAP", address)
    code, out = check(capsys)
    assert code == EX_UNAVAILABLE, out
    assert f"no Kafka broker answers at {address}" in out


def test_a_system_that_does_not_answer_is_named_with_its_url(
    environ, capsys, monkeypatch
):
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("CUSTOMCRM_BASE_URL", url)
    code, out = check(capsys)
    assert code == EX_UNAVAILABLE, out
    assert f"customcrm at {url} does not answer" in out
    # The other system is still checked, and fine.
    assert "webcrm         Organisations" in out


def test_the_console_command_exits_with_the_code(environ, monkeypatch):
    monkeypatch.setenv("TETHER_PARTITIONS", "-3")
    done = subprocess.run(
        [sys.executable, "-m", "ops", "check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == EX_CONFIG, done.stdout + done.stderr
    assert "TETHER_PARTITIONS" in done.stdout
    assert "Traceback" not in done.stderr
