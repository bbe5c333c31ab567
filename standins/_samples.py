"""Helpers shared by the systems' sample data: Nordic names folded to ASCII."""

from __future__ import annotations

import re

PLACES: list[tuple[str, str]] = [
    ("Oslo", "0155"), ("Bergen", "5003"), ("Trondheim", "7010"), ("Stavanger", "4006"),
    ("Tromsø", "9008"), ("Drammen", "3015"), ("Fredrikstad", "1606"), ("Molde", "6413"),
]  # fmt: skip
"""Norwegian cities and one of their post codes."""

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "Ae", "Ø": "O", "Å": "A"})


def fold(text: str) -> str:
    """``"Bølge Bygg"`` -> ``"bolgebygg"`` (e-mail local parts, domains)."""
    return text.translate(_FOLD).lower().replace(" ", "")


def slug(text: str) -> str:
    """``"Kurs Videregående"`` -> ``"kurs-videregaende"`` (an id)."""
    return re.sub(r"[^a-z0-9]+", "-", text.translate(_FOLD).lower()).strip("-")
