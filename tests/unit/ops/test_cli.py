"""The ``tether`` parser: every sub-command module declares one ``Command``."""

from __future__ import annotations

import argparse
import importlib

import pytest

from connectors.errors import FatalError
from ops.cli import COMMANDS, Command, build_parser

NAMES = [
    "demo",
    "worker",
    "broker",
    "standins",
    "docs",
    "import",
    "verify",
    "deadletters",
    "pause",
    "resume",
    "status",
    "resync",
    "links",
    "unlink",
    "explain",
    "check",
    "acls",
    "completion",
]


def test_each_module_declares_its_command_in_help_order():
    commands = [importlib.import_module(f"ops.cli.{m}").COMMAND for m in COMMANDS]
    assert all(isinstance(c, Command) for c in commands)
    assert [c.name for c in commands] == NAMES
    [subparsers] = [
        a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    ]
    assert list(subparsers.choices) == NAMES


@pytest.mark.parametrize(
    ("argv", "module"),
    [
        (["worker"], "worker"),
        (["verify", "--json"], "verify"),
        (["import", "a.rst"], "import_docs"),
    ],
)
def test_the_parsed_arguments_carry_the_commands_runner(argv, module):
    args = build_parser().parse_args(argv)
    assert args.func is importlib.import_module(f"ops.cli.{module}").COMMAND.run


def test_a_command_without_options_takes_none():
    parser = argparse.ArgumentParser()
    command = Command("noop", help="does nothing", run=lambda args: 0)
    command.add_to(parser.add_subparsers())
    assert parser.parse_args(["noop"]).func(None) == 0
    with pytest.raises(SystemExit):
        parser.parse_args(["noop", "--flag"])


def test_an_os_error_of_a_broker_action_is_one_fatal_line(monkeypatch):
    from ops.cli import broker

    def full_disk(args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(broker, "_stop", full_disk)
    args = build_parser().parse_args(["broker", "stop"])
    with pytest.raises(FatalError, match="broker stop failed: .*No space left"):
        args.func(args)
