"""``bench/initial_sync.py --small`` runs end to end and prints its figures."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.integration.conftest import REPO


def test_initial_sync_bench_prints_times_ratio_and_calls(kafka_bootstrap: str) -> None:
    env = {**os.environ, "TETHER_KAFKA_BOOTSTRAP": kafka_bootstrap}
    script = REPO / "bench" / "initial_sync.py"
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(script), "--small", "--already-present"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    for figure in (
        "direct copy, 16 in flight",
        "tether, empty target",
        "ratio tether/direct",
        "calls per record",
        "tether, present (copy)",
        "already present/empty",
    ):
        assert figure in result.stdout, result.stdout
