"""``bench/latency.py --small`` runs end to end and prints both columns (no timing
is asserted: benchmarks never gate on speed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_latency_bench_small_prints_polling_and_push_figures(kafka_bootstrap):
    env = os.environ | {"TETHER_KAFKA_BOOTSTRAP": kafka_bootstrap}
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(REPO / "bench" / "latency.py"), "--small"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "polling 1 s" in lines[1]
    assert "push" in lines[1]
    for row in ("p50", "p90", "p99", "max"):
        line = next(line for line in lines if line.startswith(row))
        assert line.count(" s") == 2, line  # a figure for each run
    assert any(line.startswith("ratio p99 polling/push") for line in lines)
    never = next(line for line in lines if line.startswith("never arrived"))
    assert never.split()[-2:] == ["0", "0"]  # every edit arrived in both runs
