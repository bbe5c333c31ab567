"""``tether demo --once`` as a user runs it: quiet, and telling what it did and why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_demo_runs_without_errors_and_says_how_to_look_at_it(
    kafka_bootstrap, tmp_path
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TETHER_LOG_")}
    env["TETHER_KAFKA_BOOTSTRAP"] = kafka_bootstrap  # no broker of its own
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "ops", "demo", "--once", "--home", str(tmp_path)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert not [line for line in out.splitlines() if "ERROR" in line], out[-4000:]
    # Where to point the other commands.
    assert f"export TETHER_KAFKA_BOOTSTRAP={kafka_bootstrap}" in out
    assert "export TETHER_APP_ID=demo-" in out
    assert "export WEBCRM_BASE_URL=" in out
    # Why lookup-only flows create nothing.
    assert (
        "customwebshop-customer-to-chargebee-business-entity: lookup-only, "
        "chargebee Business_entity cannot be created through its API" in out
    )
    # The first sync's progress, per flow.
    assert "webcrm-persons-to-customcrm-contact" in out
    assert " done" in out
    # The worker's log is quiet too: no banner, no services starting.
    [log] = tmp_path.glob("demo-*/worker-w1.log")
    text = log.read_text(errors="replace")
    assert "Starting..." not in text
    assert "NotLeaderForPartitionError" not in out + text
