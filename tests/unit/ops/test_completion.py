"""``tether completion``: scripts generated from the parser, tried in a real bash."""

from __future__ import annotations

import shlex
import shutil
import subprocess

import pytest

from ops.cli import build_parser, main, sub_commands
from ops.cli.completion import script

BASH = shutil.which("bash") or "/bin/bash"


def complete(*words: str) -> list[str]:
    """What bash offers after ``words`` (the last one is being typed)."""
    line = " ".join(shlex.quote(w) for w in ("tether", *words))
    program = (
        f"source /dev/stdin <<'EOF'\n{script('bash')}EOF\n"
        f"COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n"
        # complete -p proves the function is registered for `tether`.
        "complete -p tether >/dev/null && _tether && printf '%s\\n' \"${COMPREPLY[@]}\""
    )
    done = subprocess.run(
        [BASH, "--norc", "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.splitlines() if w]


def test_bash_offers_every_sub_command():
    expected = list(sub_commands(build_parser()))
    assert complete("") == expected
    assert "check" in expected
    assert "completion" in expected


def test_bash_completes_a_prefix_and_nested_commands():
    assert complete("dea") == ["deadletters"]
    assert complete("broker", "st") == ["start", "stop", "status"]
    assert complete("-v", "broker", "sto") == ["stop"]


def test_bash_completes_options_and_choices():
    assert "--json" in complete("status", "--")
    assert "--timeout" in complete("check", "--")
    assert complete("deadletters", "") == ["list", "redrive"]
    assert complete("completion", "") == ["bash", "zsh", "fish"]


def test_compgen_sees_the_generated_words():
    # The plain way a user checks a completion: compgen over the function.
    program = (
        f"source /dev/stdin <<'EOF'\n{script('bash')}EOF\n"
        'compgen -W "$(_tether_words tether)" -- ch'
    )
    done = subprocess.run(
        [BASH, "--norc", "-c", program], capture_output=True, text=True, check=False
    )
    assert done.stdout.split() == ["check"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_name_every_command_and_option(shell):
    text = script(shell)
    for name, parser in sub_commands(build_parser()).items():
        assert name in text
        for action in parser._actions:
            for option in action.option_strings:
                if option.startswith("--"):
                    expected = f"-l {option[2:]}" if shell == "fish" else option
                    assert expected in text, f"{shell}: {name} {option}"


def test_fish_offers_commands_only_before_one_is_given():
    text = script("fish")
    assert "complete -c tether -n '__fish_use_subcommand' -a check" in text
    assert "__fish_seen_subcommand_from broker; and not" in text


def test_the_command_prints_the_script(capsys):
    assert main(["completion", "bash"]) == 0
    assert capsys.readouterr().out == script("bash")
