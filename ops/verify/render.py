"""``tether verify`` output: a table per section for people, JSON for machines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from ops.verify.findings import Category, Finding, VerifyResult

Column = tuple[str, Callable[[Finding], str]]

# Values are clipped so one long text cannot push the table off the screen; ids,
# flow and property names never are (they are what an operator searches for).
_MAX_VALUE = 40
_MAX_DETAIL = 100

_TITLES = {
    Category.DIFFERENCES: "Property differences",
    Category.UNLINKED: "Source entities without a link",
    Category.LOOKUPS: "Lookups that found no match or several",
    Category.VANISHED: "Links whose source or target vanished",
    Category.INVALID: "Records that fail validation or coercion",
}


def value_text(value: Any) -> str:
    """A canonical value as JSON, so ``""``, ``null`` and ``"25"`` stay distinct."""
    return orjson.dumps(value, default=str).decode()


def plural(count: int, noun: str) -> str:
    """``1 link``, ``2 links``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def clip(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _value(value: Any) -> str:
    return clip(value_text(value), _MAX_VALUE)


def _detail(finding: Finding) -> str:
    detail = finding.detail
    if finding.candidates:
        detail = f"{detail} (candidates: {', '.join(finding.candidates)})"
    return clip(detail, _MAX_DETAIL)


_FLOW: Column = ("FLOW", lambda f: f.flow)
_SOURCE: Column = ("SOURCE ID", lambda f: f.source_id)
_TARGET: Column = ("TARGET ID", lambda f: f.target_id)
_PROPERTY: Column = ("PROPERTY", lambda f: f.property)
_KIND: Column = ("KIND", lambda f: f.kind.value)
_DETAIL: Column = ("DETAIL", _detail)

_COLUMNS: dict[Category, Sequence[Column]] = {
    Category.DIFFERENCES: (
        _FLOW,
        _SOURCE,
        _TARGET,
        _PROPERTY,
        ("SOURCE VALUE", lambda f: _value(f.source_value)),
        ("TARGET VALUE", lambda f: _value(f.target_value)),
        _DETAIL,
    ),
    Category.UNLINKED: (_FLOW, _SOURCE, _KIND, _DETAIL),
    Category.LOOKUPS: (_FLOW, _SOURCE, _KIND, _DETAIL),
    Category.VANISHED: (_FLOW, _SOURCE, _TARGET, _KIND, _DETAIL),
    Category.INVALID: (_FLOW, _SOURCE, _TARGET, _PROPERTY, _DETAIL),
}


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Aligned text rows under a header; the last column is not padded."""
    columns = zip(headers, *rows, strict=True)
    widths = [max(len(cell) for cell in column) for column in columns]
    return [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in (headers, *rows)
    ]


def _findings_table(
    columns: Sequence[Column], findings: Sequence[Finding]
) -> list[str]:
    cells = [[get(finding) for _, get in columns] for finding in findings]
    return text_table([name for name, _ in columns], cells)


def summary(result: VerifyResult) -> str:
    """The one-line verdict with counts."""
    counts = result.counts()
    verdict = "OK" if result.ok else "DIFFERS"
    return (
        f"{verdict}: {plural(counts['flows'], 'flow')}, "
        f"{plural(counts['links'], 'link')} checked; "
        f"{plural(counts['differences'], 'property difference')}, "
        f"{plural(counts['unlinked'], 'source')} without a link, "
        f"{counts['lookups']} unmatched or ambiguous, "
        f"{counts['vanished']} vanished, {counts['invalid']} invalid"
    )


def render_text(result: VerifyResult) -> str:
    """The human report: one table per non-empty section, then the summary."""
    lines: list[str] = []
    for check in result.flows:
        lines.append(
            f"{check.flow}: {plural(check.links, 'link')}, "
            f"{plural(check.sources, 'source')}, {plural(check.targets, 'target')}, "
            f"{plural(len(check.findings), 'finding')}"
        )
    findings = result.findings
    for category in Category:
        rows = [f for f in findings if f.kind.category is category]
        if rows:
            lines += ["", f"{_TITLES[category]} ({len(rows)})"]
            lines += _findings_table(_COLUMNS[category], rows)
    lines += ["", summary(result)]
    return "\n".join(lines) + "\n"


def render_json(result: VerifyResult) -> str:
    """The machine report: summary counts, per-flow counts, every finding."""
    document = {
        "app_id": result.app_id,
        "ok": result.ok,
        "summary": result.counts(),
        "flows": [
            {
                "flow": c.flow,
                "links": c.links,
                "sources": c.sources,
                "targets": c.targets,
                "findings": len(c.findings),
            }
            for c in result.flows
        ],
        "findings": [f.as_dict() for f in result.findings],
    }
    return (
        orjson.dumps(document, default=str, option=orjson.OPT_INDENT_2).decode() + "\n"
    )
