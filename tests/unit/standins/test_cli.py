"""``tether standins``: serves every stand-in, prints how to point a worker at it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.unit.standins.test_demo import read_back

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
        lines: list[str] = []
        try:
            while not lines or not lines[-1].startswith("# admin:"):
                line = process.stdout.readline().decode()
                assert line, "the output ended before the admin line"
                lines.append(line.rstrip("\n"))
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
    # Pasted into a shell, the lines set exactly the values the worker needs.
    exports = [line for line in lines if line.startswith("export ")]
    names = [line.removeprefix("export ").split("=", 1)[0] for line in exports]
    values = dict(zip(names, read_back(exports, names), strict=True))
    assert values["TIDSBANKEN_CLOCK_SKEW_SECONDS"] == '{"Avdeling":0.0,"Kunde":3600.0}'
    assert values["WEBCRM_BASE_URL"] == lines[0].removeprefix("# webcrm: ")
    assert all(values.values())
