"""Split a dataflow document into its flow sections, independently of the parser."""

from __future__ import annotations

import re

_RULE = re.compile(r"^-+$")


def flow_sections(text: str) -> list[str]:
    """Each flow section, from its title to its last table line, with a newline.

    A section starts at a line underlined with '-' (other than "Introduction") and
    ends before the next one; the blank lines between sections are not part of it.
    """
    lines = text.split("\n")
    starts = [
        i
        for i in range(len(lines) - 1)
        if lines[i].strip() and _RULE.match(lines[i + 1]) and lines[i] != "Introduction"
    ]
    sections = []
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        body = lines[start:end]
        while body and not body[-1]:
            body.pop()
        sections.append("\n".join(body) + "\n")
    return sections


def head(text: str) -> list[str]:
    """The title block and the Generated line: the document's first five lines."""
    return text.split("\n")[:5]
