"""The ``tether`` command: one module per sub-command, registered explicitly.

Each module declares its sub-command as ``COMMAND``, a ``Command``: name, help,
options and the function that runs it and returns the process exit code. Errors
from the project's error tree are printed as one clear line, never as a traceback,
and end the process with one of the documented exit codes (``EXIT_CODES``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NoReturn, TypeAlias

from connectors.errors import ConfigurationError, FatalError, SyncError
from ops.logs import configure_logging

# A string: argparse's class is generic to type checkers only.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What ``ArgumentParser.add_subparsers`` returns."""

# Exit codes, as sysexits.h numbers them, so scripts and supervisors can tell
# "fix the command line" from "fix the settings" from "try again later".
EX_OK = 0
EX_FAILED = 1
"""The command ran and found a problem (failing systems, mismatches, ...)."""
EX_USAGE = 64
EX_UNAVAILABLE = 69
EX_CONFIG = 78
EX_INTERRUPTED = 130

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EX_OK, "success"),
    (EX_FAILED, "the command ran and found a problem (failing system, mismatch)"),
    (EX_USAGE, "usage error: unknown command or option, bad argument"),
    (EX_UNAVAILABLE, "a system or the Kafka broker did not answer (tether check)"),
    (EX_CONFIG, "configuration error: a setting is missing or wrong (named)"),
    (EX_INTERRUPTED, "interrupted (Ctrl-C)"),
)

# Stand-in-only packages: installed by the ``demo`` extra, not by ``pip install .``.
DEMO_PACKAGES = frozenset({"starlette", "uvicorn"})


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default unless it says nothing (None, False) or is given."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "default" in text.lower()
            or default is None
            or default is False
            or default == argparse.SUPPRESS
            or default == []
        ):
            return text
        return super()._get_help_string(action)


class _TopHelpFormatter(HelpFormatter, argparse.RawDescriptionHelpFormatter):
    """The top parser's: its epilog (the exit codes) is laid out by hand."""


class TetherParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors exit with ``EX_USAGE``.

    ``add_subparsers`` builds sub-parsers of the parser's own class, so every
    sub-command (and ``tether broker start``) shares this.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Print the usage and the problem; exit with ``EX_USAGE``."""
        self.print_usage(sys.stderr)
        self.exit(EX_USAGE, f"{self.prog}: error: {message}\n")


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
    "resync",
    "links",
    "unlink",
    "explain",
    "check",
    "acls",
    "completion",
)


def tether_version() -> str:
    """The installed distribution's version ("unknown" when run from a bare tree)."""
    try:
        return version("tether")
    except PackageNotFoundError:
        return "unknown"


def _epilog() -> str:
    lines = ["exit codes:"]
    lines += [f"  {code:<4}{meaning}" for code, meaning in EXIT_CODES]
    lines.append("")
    lines.append("-v/--verbose is accepted before or after the sub-command.")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    # Typed as the base class: argparse's stubs make sub-parser actions invariant.
    parser: argparse.ArgumentParser = TetherParser(
        prog="tether",
        description="Keep business systems in sync over Kafka.",
        epilog=_epilog(),
        formatter_class=_TopHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {tether_version()}"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"ops.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"ops.cli.{name}":
                raise
            continue  # not built yet
        command: Command = module.COMMAND
        command.add_to(subparsers)
    for sub in all_parsers(parser):
        if sub is not parser and "-v" not in sub._option_string_actions:
            # SUPPRESS: a -v before the sub-command is not reset by its parser.
            sub.add_argument(
                "-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                help="debug logging",
            )  # fmt: skip
    return parser


def sub_commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-commands of ``parser`` by name (empty when it has none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def all_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """``parser`` and every sub-command's parser under it, depth first."""
    yield parser
    for sub in sub_commands(parser).values():
        yield from all_parsers(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tether`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbose=args.verbose)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return EX_INTERRUPTED
    except ConfigurationError as exc:
        sys.stderr.write(f"tether: configuration error: {exc}\n")
        return EX_CONFIG
    except (FatalError, SyncError) as exc:
        sys.stderr.write(f"tether: {exc}\n")
        return EX_FAILED
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in DEMO_PACKAGES:
            raise
        sys.stderr.write(
            f"tether: {args.command} needs the stand-ins' packages ({exc.name} is"
            " not installed): pip install 'tether[demo]'\n"
        )
        return EX_CONFIG
    return code


if __name__ == "__main__":
    sys.exit(main())
