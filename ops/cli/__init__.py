"""The ``tether`` command: one module per sub-command, registered explicitly.

Each module declares its sub-command as ``COMMAND``, a ``Command``: name, help,
options and the function that runs it and returns the process exit code. Errors
from the project's error tree are printed as one clear line, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from connectors.errors import ConfigurationError, FatalError, SyncError
from ops.logs import configure_logging

# A string: argparse's class is generic to type checkers only.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What ``ArgumentParser.add_subparsers`` returns."""


def _no_options(parser: argparse.ArgumentParser) -> None:
    """A sub-command without options of its own."""


@dataclass(frozen=True)
class Command:
    """A ``tether`` sub-command: its name and help, its options, what runs it."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    options: Callable[[argparse.ArgumentParser], None] = _no_options
    description: str | None = None

    def add_to(self, subparsers: Subparsers) -> argparse.ArgumentParser:
        """Add this sub-command to the ``tether`` parser; its parser, for tests."""
        parser = subparsers.add_parser(
            self.name, help=self.help, description=self.description
        )
        self.options(parser)
        parser.set_defaults(func=self.run)
        return parser


# Sub-command modules, in the order ``tether --help`` lists them. Imported lazily so
# that ``tether docs`` does not pay for importing faust.
COMMANDS: tuple[str, ...] = (
    "demo",
    "worker",
    "broker",
    "standins",
    "docs",
    "import_docs",
    "verify",
    "deadletters",
    "pause",
    "resume",
    "status",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="tether", description="Keep business systems in sync over Kafka."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"ops.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"ops.cli.{name}":
                raise
            continue  # not built yet
        command: Command = module.COMMAND
        command.add_to(subparsers)
    return parser


def quiet_libraries() -> None:
    """Keep per-request and per-subscription chatter of libraries out of the output."""
    for name in ("aiokafka", "httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tether`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbose=args.verbose)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except ConfigurationError as exc:
        sys.stderr.write(f"tether: configuration error: {exc}\n")
        return 2
    except (FatalError, SyncError) as exc:
        sys.stderr.write(f"tether: {exc}\n")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
