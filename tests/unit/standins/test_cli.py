"""``tether standins``: serves every stand-in, prints how to point a worker at it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

_MAIN = "import sys; from ops.cli import main; sys.exit(main(sys.argv[1:]))"


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
            lines = [process.stdout.readline().decode() for _ in range(6)]
        finally:
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=20)
        errors = process.stderr.read().decode()
    assert code == 0, errors
    assert lines[0].startswith("# webcrm: http://127.0.0.1:")
    assert lines[1].startswith("export WEBCRM_BASE_URL=http://127.0.0.1:")
    assert lines[2].startswith("export WEBCRM_API_TOKEN=")
    assert lines[3].startswith("# customcrm: http://127.0.0.1:")
    assert lines[5].startswith("export CUSTOMCRM_API_KEY=")
