"""What ``tether check`` found: one finding per thing checked, and the exit code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from ops.verify.render import clip, plural, text_table

_DETAIL_WIDTH = 110


class Outcome(StrEnum):
    """How one check ended."""

    OK = "ok"
    CONFIG = "config"
    """A setting is missing or wrong, or credentials were refused: fix the env."""
    UNREACHABLE = "unreachable"
    """A system or the broker did not answer: fix the network, or try later."""
    WARNING = "warning"
    """Worth a look, but nothing stops a worker (e.g. an unknown variable)."""
    SKIPPED = "skipped"
    """Not checked (a system with no settings, or what a failed check hides)."""


@dataclass(frozen=True)
class Finding:
    """One thing checked: what (``area``, ``subject``), how it ended, and why."""

    area: str
    subject: str
    outcome: Outcome
    detail: str = ""

    @property
    def failed(self) -> bool:
        """Whether this finding makes the check fail."""
        return self.outcome in (Outcome.CONFIG, Outcome.UNREACHABLE)

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "area": self.area,
            "subject": self.subject,
            "outcome": self.outcome.value,
            "detail": self.detail,
        }


def exit_code(findings: Sequence[Finding]) -> int:
    """``EX_CONFIG`` when a setting is wrong, ``EX_UNAVAILABLE`` when something
    did not answer (and every setting was fine), 0 when all is well."""
    from ops.cli import EX_CONFIG, EX_OK, EX_UNAVAILABLE

    outcomes = {f.outcome for f in findings}
    if Outcome.CONFIG in outcomes:
        return EX_CONFIG
    if Outcome.UNREACHABLE in outcomes:
        return EX_UNAVAILABLE
    return EX_OK


def _label(outcome: Outcome) -> str:
    return {
        Outcome.OK: "ok",
        Outcome.CONFIG: "WRONG",
        Outcome.UNREACHABLE: "NO ANSWER",
        Outcome.WARNING: "warning",
        Outcome.SKIPPED: "skipped",
    }[outcome]


def render(findings: Sequence[Finding], *, as_json: bool) -> str:
    """The findings as a table with a closing verdict, or JSON."""
    failed = [f for f in findings if f.failed]
    if as_json:
        document = {
            "ok": not failed,
            "exit_code": exit_code(findings),
            "findings": [f.as_dict() for f in findings],
        }
        return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    rows = [
        [f.area, f.subject, _label(f.outcome), clip(f.detail, _DETAIL_WIDTH)]
        for f in findings
    ]
    lines = [*text_table(["CHECK", "WHAT", "RESULT", "DETAIL"], rows), ""]
    checked = [f for f in findings if f.outcome is not Outcome.SKIPPED]
    if not failed:
        lines.append(f"OK: {plural(len(checked), 'check')} passed")
        return "\n".join(lines) + "\n"
    wrong = sum(1 for f in failed if f.outcome is Outcome.CONFIG)
    silent = len(failed) - wrong
    lines.append(
        f"FAILED: {len(failed)} of {plural(len(checked), 'check')}"
        f" ({wrong} wrong setting or refused credential, {silent} not answering)"
    )
    return "\n".join(lines) + "\n"
