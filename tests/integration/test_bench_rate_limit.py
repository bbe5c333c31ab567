"""The rate-limit benchmark's quick mode runs end to end and prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "rate_limit.py"


def test_the_quick_mode_prints_rates_429_shares_and_the_ratio() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--small"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    out = done.stdout
    assert "tether: 40/40 writes done" in out
    assert "no-limiter:" in out
    assert out.count("requests/min") == 2
    assert "ratio tether/no-limiter sustained rate:" in out
    assert "429 share" in out
