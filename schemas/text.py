"""Text that must not travel: invalid UTF-8, control characters, huge values.

Bodies are decoded with ``surrogateescape`` so that one record's invalid bytes
do not lose a whole page; the bytes come out as lone surrogates, which these
checks find and name, and which no JSON encoder will write. ``scrub`` makes any
value safe to put in a dead letter: surrogates replaced, strings clipped, deep
nesting cut.
"""

from __future__ import annotations

import math
import re
from typing import Any

DEFAULT_MAX_TEXT_CHARS = 32_768
"""Characters one text field may hold unless the connector's settings say otherwise.

Generous for names, addresses and memo fields, yet well below what a Kafka message
(1 MB by default) can carry: a 1 MB "name" is a bug or an attack, not data.
"""

MAX_TEXT_CONTEXT = "max_text_chars"
"""The validation-context key carrying a connector's limit to the wire models."""

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls other than tab, newline and carriage return: NUL and friends break
# targets (PostgreSQL text refuses NUL) and never belong in business data.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

_CLIP_CHARS = 2_000
_MAX_DEPTH = 32


def text_problem(value: str, max_chars: int = DEFAULT_MAX_TEXT_CHARS) -> str | None:
    """What is wrong with one text value, or ``None`` when it may travel."""
    if len(value) > max_chars:
        return f"{len(value)} characters, more than the limit of {max_chars}"
    if _SURROGATE.search(value):
        return "invalid UTF-8 in the source (bytes that decode to no character)"
    found = _CONTROL.search(value)
    if found:
        return f"control character U+{ord(found.group()):04X}"
    return None


def scrub(value: Any, *, depth: int = 0) -> Any:
    """``value`` made safe for a dead letter: JSON-able, bounded, valid UTF-8.

    Lone surrogates become U+FFFD, long strings are clipped with a note of their
    length, nesting deeper than a few dozen levels is replaced by a marker, and
    non-finite numbers become their names (JSON has no NaN).
    """
    if isinstance(value, str):
        if len(value) > _CLIP_CHARS:
            value = f"{value[:_CLIP_CHARS]}... [clipped, {len(value)} characters]"
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= _MAX_DEPTH:
        return f"[nested deeper than {_MAX_DEPTH} levels]"
    if isinstance(value, dict):
        return {
            str(scrub(str(key))): scrub(item, depth=depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(item, depth=depth + 1) for item in value]
    return scrub(repr(value), depth=depth)
