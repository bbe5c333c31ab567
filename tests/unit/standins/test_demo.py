"""The demo registry's shell lines: ``export`` lines a shell reads back exactly."""

from __future__ import annotations

import subprocess

import pytest

from standins import TidsbankenStandIn
from standins.demo import export_lines

TRICKY = {
    "SKEW": '{"Avdeling":0.0,"Kunde":3600.0}',  # brace expansion
    "SPACES": "two  words\tand a tab",
    "QUOTES": 'it\'s "quoted"',
    "DOLLARS": "$HOME ${PATH} $(echo no) `echo no`",
    "GLOB": "* ? [a-z]",
    "NEWLINE": "first\nsecond",
    "EMPTY": "",
    "PLAIN": "http://127.0.0.1:8080/api/v2",
}

# eval the lines (as a user pasting them would run them), then print each named
# variable NUL-terminated: exactly what the shell holds.
_EVAL = 'eval "$1"; shift; for name; do printf "%s\\0" "${!name}"; done'


def read_back(lines: list[str], names: list[str]) -> list[str]:
    """What bash holds in ``names`` after ``eval`` of ``lines``."""
    result = subprocess.run(
        ["bash", "-c", _EVAL, "bash", "\n".join(lines), *names],
        capture_output=True,
        check=True,
        timeout=10,
    )
    return result.stdout.decode().split("\0")[:-1]


def test_every_value_comes_back_exactly():
    assert read_back(export_lines(TRICKY), list(TRICKY)) == list(TRICKY.values())


def test_each_line_on_its_own_comes_back_exactly():
    for line, (name, value) in zip(export_lines(TRICKY), TRICKY.items(), strict=True):
        assert read_back([line], [name]) == [value]


def test_plain_values_stay_readable():
    assert export_lines({"URL": TRICKY["PLAIN"]}) == [f"export URL={TRICKY['PLAIN']}"]


def test_a_name_no_shell_can_hold_is_refused():
    with pytest.raises(ValueError, match="shell variable"):
        export_lines({"NOT-A-NAME": "x"})


def test_tidsbanken_clock_skew_survives_the_shell():
    with TidsbankenStandIn() as tidsbanken:
        env = tidsbanken.connector_env()
    assert env["TIDSBANKEN_CLOCK_SKEW_SECONDS"] == '{"Avdeling":0.0,"Kunde":3600.0}'
    assert read_back(export_lines(env), list(env)) == list(env.values())
