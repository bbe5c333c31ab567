"""Time in UTC: the current moment, and a moment written as ISO 8601 text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

Timespec = Literal[
    "auto", "hours", "minutes", "seconds", "milliseconds", "microseconds"
]
"""How much of the time ``utc_text`` writes (``datetime.isoformat``'s choices)."""


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def utc_text(
    moment: datetime,
    *,
    timespec: Timespec = "auto",
    sep: str = "T",
    zulu: bool = True,
) -> str:
    """``moment`` in UTC as ISO 8601 text: ``2024-05-01T10:00:00Z``.

    The one formatter for UTC text, so cursors sent to the systems, canonical
    values and what operators read never differ in how they write the zone.

    Args:
        moment: An aware datetime, in any zone; it is converted to UTC.
        timespec: How much of the time to write, as for ``datetime.isoformat``;
            ``"auto"`` leaves out zero microseconds.
        sep: Between date and time: ``"T"``, or ``" "`` for people to read.
        zulu: End with ``Z`` (what the systems' filters expect); ``False``
            ends with ``+00:00``, Python's own form, which values already stored
            in links and dead-letter keys carry.

    Raises:
        ValueError: ``moment`` is naive; its zone would be a guess.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"{moment!r} has no time zone; only an aware time has a UTC form"
        raise ValueError(msg)
    text = moment.astimezone(UTC).isoformat(sep=sep, timespec=timespec)
    return text.removesuffix("+00:00") + "Z" if zulu else text
