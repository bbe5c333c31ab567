"""bench/state_scale.py --small runs end to end and prints both sizes and ratios."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_state_scale_small_prints_figures_and_ratios(kafka_bootstrap: str) -> None:
    env = {**os.environ, "TETHER_KAFKA_BOOTSTRAP": kafka_bootstrap}
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(REPO / "bench" / "state_scale.py"), "--small"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stdout.splitlines()
    assert lines[0].split()[-3:] == ["10,000", "50,000", "ratio"], done.stdout
    rows = {line[:36].strip(): line[36:].split() for line in lines[2:]}
    for name in (
        "cold start: ready (s)",
        "restart: ready (s)",
        "cold start: RSS when ready (MB)",
        "LinkTable.get (us)",
        "IdMap.resolve (us, RocksDB)",
    ):
        small, large, ratio = rows[name]
        assert float(small) > 0, done.stdout
        assert float(large) > 0, done.stdout
        assert ratio.endswith("x"), done.stdout
