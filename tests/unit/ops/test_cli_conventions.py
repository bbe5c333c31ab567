"""The conventions every ``tether`` command keeps: help, defaults, -v, exit codes."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ops.cli import (
    EX_CONFIG,
    EX_USAGE,
    EXIT_CODES,
    all_parsers,
    build_parser,
    main,
    sub_commands,
)

REPO = Path(__file__).resolve().parents[3]

# Commands that list things: each takes --json.
LISTING = [
    ("status",),
    ("deadletters",),
    ("resume",),
    ("verify",),
    ("check",),
    ("links",),
    ("explain",),
]


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    return [(parser.prog, parser) for parser in all_parsers(build_parser())]


def _arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        a
        for a in parser._actions
        if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
    ]


@pytest.mark.parametrize(("prog", "parser"), _parsers())
def test_every_argument_says_what_it_is(prog, parser):
    missing = [a.dest for a in _arguments(parser) if not (a.help or "").strip()]
    assert missing == [], f"{prog}: arguments without help: {missing}"


@pytest.mark.parametrize(("prog", "parser"), _parsers())
def test_every_option_with_a_default_shows_it(prog, parser):
    formatter = parser._get_formatter()
    for action in _arguments(parser):
        if action.default in (None, False, argparse.SUPPRESS, []):
            continue
        shown = formatter._get_help_string(action) or ""
        assert "default" in shown.lower(), f"{prog}: {action.dest} hides its default"


def test_the_formatter_adds_defaults_but_not_none_or_false():
    parser = build_parser()
    check = sub_commands(parser)["check"].format_help()
    assert "(default: 30.0)" in " ".join(check.split())
    assert "(default: False)" not in check
    assert "(default: None)" not in parser.format_help()


@pytest.mark.parametrize(
    "argv",
    [
        ["-v", "check"],
        ["check", "-v"],
        ["check", "--verbose"],
        ["broker", "stop", "-v"],
    ],
)
def test_verbose_is_taken_anywhere_on_the_line(argv):
    assert build_parser().parse_args(argv).verbose is True


def test_without_verbose_it_is_off():
    assert build_parser().parse_args(["check"]).verbose is False
    assert build_parser().parse_args(["broker", "stop"]).verbose is False


@pytest.mark.parametrize("command", LISTING)
def test_listing_commands_take_json(command):
    parser = build_parser()
    for name in command:
        parser = sub_commands(parser)[name]
    options = {o for a in parser._actions for o in a.option_strings}
    assert "--json" in options


def test_version_comes_from_the_package_metadata(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    expected = importlib.metadata.version("tether")
    assert capsys.readouterr().out.strip() == f"tether {expected}"


@pytest.mark.parametrize(
    "argv", [["no-such-command"], ["check", "--no-such-option"], [], ["completion"]]
)
def test_a_usage_error_exits_with_ex_usage(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == EX_USAGE == 64
    assert "usage: tether" in capsys.readouterr().err


def test_a_configuration_error_exits_with_ex_config(capsys):
    assert main(["pause", "no-such-flow"]) == EX_CONFIG == 78
    err = capsys.readouterr().err
    assert err.startswith("tether: configuration error: unknown flow(s) no-such-flow")


def test_the_exit_codes_are_in_the_help_and_the_readme():
    text = build_parser().format_help()
    readme = (REPO / "README.md").read_text()
    for code, meaning in EXIT_CODES:
        assert f"  {code:<4}{meaning}" in text
        assert f"| {code} |" in readme, f"exit code {code} not in the README"


def _run_without_demo_packages(
    *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # The packages the demo extra installs, made unimportable in a fresh process.
    code = (
        "import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None;"
        "from ops.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env=env,
    )


@pytest.mark.parametrize("command", ["standins", "demo"])
def test_stand_in_commands_without_the_demo_extra_say_what_to_install(command):
    done = _run_without_demo_packages(command)
    assert done.returncode == EX_CONFIG, done.stderr
    assert "pip install 'tether[demo]'" in done.stderr
    assert f"tether: {command} needs the stand-ins' packages" in done.stderr
    assert "Traceback" not in done.stderr


def test_other_commands_run_without_the_demo_extra():
    done = _run_without_demo_packages("completion", "bash")
    assert done.returncode == 0, done.stderr
    assert "complete -o default -F _tether tether" in done.stdout


def test_resume_lists_the_paused_flows_as_json():
    from engine.control import FlowState
    from ops.cli.resume import paused_json

    states = {
        "a": FlowState(flow="a", paused=True, reason="storm", by="breaker"),
        "b": FlowState(flow="b", paused=False),
    }
    raw = {name: state.model_dump(mode="json") for name, state in states.items()}
    document = json.loads(paused_json(raw))
    assert [(s["flow"], s["reason"], s["by"]) for s in document["paused"]] == [
        ("a", "storm", "breaker")
    ]
    assert json.loads(paused_json({})) == {"paused": []}


def test_check_runs_without_the_demo_extra():
    # A worker's image has no stand-ins: its `tether check` must not need them.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "TETHER_KAFKA_BOOTSTRAP": "127.0.0.1:1",
    }
    done = _run_without_demo_packages("check", "--json", "--timeout", "5", env=env)
    assert done.returncode == EX_CONFIG, done.stdout + done.stderr  # no system set
    findings = json.loads(done.stdout)["findings"]
    [broker] = [f for f in findings if f["area"] == "broker"]
    assert (broker["subject"], broker["outcome"]) == ("127.0.0.1:1", "unreachable")
    assert "tether[demo]" not in done.stderr
