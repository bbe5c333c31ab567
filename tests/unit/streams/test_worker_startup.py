"""Bad configuration stops ``tether worker`` with one line, no traceback, no secret."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ops.cli import EX_CONFIG

SECRET = "startup-secret-6c1e0b7d"
REACHABLE_SYSTEMS = {
    "WEBCRM_API_TOKEN": SECRET,
    "CUSTOMCRM_BASE_URL": "http://127.0.0.1:9",
    "CUSTOMCRM_API_KEY": SECRET,
}
# Port 1 on the loopback refuses at once: no broker needs to run for this test.
NO_BROKER = {"TETHER_KAFKA_BOOTSTRAP": "127.0.0.1:1"}

CASES = {
    "no credentials at all": ({}, "no flow is active"),
    "unknown flow": ({"TETHER_FLOWS": "nosuch"}, "unknown flow or document 'nosuch'"),
    "one side's credentials missing": (
        {"WEBCRM_API_TOKEN": SECRET, "TETHER_FLOWS": "webcrm-customcrm"},
        "needs a connector for customcrm",
    ),
    "malformed runtime setting": (
        {**REACHABLE_SYSTEMS, "TETHER_PARTITIONS": "many"},
        "TETHER_PARTITIONS: Input should be a valid integer",
    ),
    "malformed guard setting": (
        {**REACHABLE_SYSTEMS, **NO_BROKER, "TETHER_BREAKER_UNLINK_SHARE": "2"},
        "TETHER_BREAKER_UNLINK_SHARE",
    ),
    "malformed connector setting": (
        {**REACHABLE_SYSTEMS, **NO_BROKER, "CUSTOMCRM_BASE_URL": "ftp://crm"},
        "CUSTOMCRM_BASE_URL: Value error, must be an https:// URL with a host name",
    ),
    "webhooks without the web server": (
        {
            **REACHABLE_SYSTEMS,
            **NO_BROKER,
            "WEBCRM_WEBHOOK_SECRET": SECRET,
            "TETHER_WEB_ENABLED": "false",  # on by default
        },
        "webhooks are configured for webcrm but the web server is off",
    ),
    "unreachable broker": (
        {**REACHABLE_SYSTEMS, **NO_BROKER},
        "no Kafka broker answers at 127.0.0.1:1",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_configuration_stops_start_up_with_one_clear_line(case: str) -> None:
    env, expected = CASES[case]
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    done = subprocess.run(
        [sys.executable, "-m", "ops", "worker"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == EX_CONFIG, output
    assert last.startswith("tether: configuration error: "), output
    assert expected in last
    assert "Traceback" not in output
    assert SECRET not in output
