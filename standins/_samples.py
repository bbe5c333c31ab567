"""Helpers shared by the systems' sample data: Nordic names folded to ASCII."""

from __future__ import annotations

import re

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "Ae", "Ø": "O", "Å": "A"})


def fold(text: str) -> str:
    """``"Bølge Bygg"`` -> ``"bolgebygg"`` (e-mail local parts, domains)."""
    return text.translate(_FOLD).lower().replace(" ", "")


def slug(text: str) -> str:
    """``"Kurs Videregående"`` -> ``"kurs-videregaende"`` (an id)."""
    return re.sub(r"[^a-z0-9]+", "-", text.translate(_FOLD).lower()).strip("-")
