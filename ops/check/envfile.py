"""``.env.example``: every setting tether reads, with its default and what it means.

Made from the settings classes (``ops.check.settings``), never by hand, so it
cannot drift from them: ``python -m ops.check.envfile > .env.example`` writes it
and a unit test compares the file with this output.
"""

from __future__ import annotations

import inspect
import sys
import textwrap
from collections.abc import Iterable

from pydantic_settings import BaseSettings

from ops.check.settings import is_connector_settings, settings_classes, variables

HEADER = """\
# Every setting tether reads, with its default. Copy to .env, uncomment and set
# what you need (at least one system's connection settings); `tether check`
# validates them, logs in to each system and reaches the broker.
#
# A system is used when any {SYSTEM}_* variable is set (TETHER_FLOWS=all runs
# the flows between the systems that are). Values are read once, at start-up.
#
# Generated from the settings classes: python -m ops.check.envfile > .env.example
"""

_WIDTH = 88


def _comment(text: str) -> list[str]:
    return textwrap.wrap(
        text,
        _WIDTH,
        initial_indent="# ",
        subsequent_indent="# ",
        break_on_hyphens=False,
    )


def _section(cls: type[BaseSettings]) -> list[str]:
    module = inspect.getmodule(cls)
    where = module.__name__ if module else cls.__module__
    summary = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0]
    lines = [
        "",
        f"# --- {cls.__name__} ({where})",
        *_comment(" ".join(summary.split())),
    ]
    connector = is_connector_settings(cls)
    for variable in variables(cls):
        lines.append("")
        notes = variable.help
        if variable.required:
            needed = "required when this system is used" if connector else "required"
            notes = f"{notes} ({needed})" if notes else f"({needed})"
        if variable.secret:
            notes = (
                f"{notes} Secret: never logged." if notes else "Secret: never logged."
            )
        lines += _comment(notes)
        lines.append(f"# {variable.name}={variable.default}")
    return lines


def render(classes: Iterable[type[BaseSettings]] | None = None) -> str:
    """The ``.env.example`` text for ``classes`` (every settings class)."""
    lines = [HEADER.rstrip("\n")]
    for cls in classes if classes is not None else settings_classes():
        lines += _section(cls)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
