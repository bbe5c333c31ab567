"""``tether standins``: serves both stand-ins, prints URLs and credentials."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

_MAIN = "import sys; from streams.cli import main; sys.exit(main(sys.argv[1:]))"


def test_cli_serves_until_interrupted():
    with subprocess.Popen(
        [sys.executable, "-c", _MAIN, "standins", "--seed"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        try:
            lines = [process.stdout.readline().decode() for _ in range(2)]
        finally:
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=10)
        errors = process.stderr.read().decode()
    assert code == 0, errors
    assert lines[0].startswith("webcrm")
    assert "http://127.0.0.1:" in lines[0]
    assert "authCode=" in lines[0]
    assert lines[1].startswith("customcrm")
    assert "api_key=" in lines[1]
