"""`bench/replay.py --small` runs end to end and prints its figures (no speed gate)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "replay.py"


def test_the_replay_bench_runs_and_prints_its_figures(kafka_bootstrap: str) -> None:
    env = {**os.environ, "TETHER_KAFKA_BOOTSTRAP": kafka_bootstrap}
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(BENCH), "--small"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for figure in ("tether (one flow)", "baseline (plain loop)", "ratio"):
        assert figure in done.stdout
    assert "writes during replay   0" in done.stdout
