"""Country values as people type them ("Norge", "Brasil", "NO") to ISO alpha-2 codes.

One table for every layer: value-keyed flows match free-text countries to a
system's country list (DESIGN.md rule 7), and connectors send a country by its
code where an API wants one. The spellings come from maintained data, not from
a hand-kept list:

- ISO 3166-1 (pycountry): alpha-2 and alpha-3 codes, the short name ("Norway"),
  the official name ("Kingdom of Norway") and, where ISO has one, the common
  name ("Bolivia", "Taiwan");
- CLDR (babel): each country's name in English, Norwegian bokmål and nynorsk,
  Swedish and Danish ("Tyskland", "Noreg", "Storbritannien", "Østrig"), the
  languages the seven systems' users write in.

``ALIASES`` adds the few spellings users write that neither source has: short
forms ("UK"), older or looser names ("Holland", "Great Britain"), and native or
German names that the Nordic systems' data has been seen to carry.

Matching ignores case, runs of white space and Unicode normal form ("Ö" typed
as "O" plus a combining diaeresis is "Ö"); it does not drop accents, so
"Osterrike" stays unknown rather than being guessed.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator

import pycountry
from babel import Locale

LOCALES = ("en", "nb", "nn", "sv", "da")
"""The CLDR locales whose country names are read: English and the Nordic ones."""

ALIASES: dict[str, tuple[str, ...]] = {
    "AT": ("Österreich",),
    "DE": ("Deutschland",),
    "DK": ("Dänemark",),
    "EE": ("Eesti",),
    "ES": ("España",),
    "FI": ("Suomi", "Finnland"),
    "GB": ("UK", "Great Britain", "England", "Det forente kongerike"),
    "IS": ("Ísland",),
    "NL": ("Holland",),
    "NO": ("Norwegen",),
    "PL": ("Polska",),
    "SE": ("Schweden",),
    "US": ("Amerika", "De forente stater"),
}
"""Hand-kept spellings that neither ISO 3166 nor CLDR's five locales give."""


def fold(text: str) -> str:
    """``text`` as it is compared: NFKC, case-folded, white space collapsed.

    Args:
        text: A country name or code as typed.
    """
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def country_code(value: object) -> str | None:
    """The ISO alpha-2 code of a country name or code; ``None`` when unknown.

    Args:
        value: A free-text country ("Norge", " norway ", "NOR", "no"); anything
            that is not text (``None``, a number) is unknown.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    return _by_spelling().get(fold(value))


def country_key(value: str) -> str:
    """A matching key: the ISO alpha-2 code when known, else the folded text.

    Args:
        value: A free-text country, as for ``country_code``.
    """
    return country_code(value) or fold(value)


@functools.cache
def _by_spelling() -> dict[str, str]:
    # Built on first use: babel reads five locale files, and most processes
    # that import the schemas never match a country.
    table: dict[str, str] = {}
    for code, spelling in _spellings():
        table.setdefault(fold(spelling), code)
    return table


def _spellings() -> Iterator[tuple[str, str]]:
    """(alpha-2, spelling) pairs, codes and English first."""
    known: set[str] = set()
    for country in pycountry.countries:
        code = country.alpha_2
        known.add(code)
        yield code, code
        yield code, country.alpha_3
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name:
                yield code, name
    for locale in LOCALES:
        for code, name in Locale.parse(locale).territories.items():
            # CLDR also names regions ("150" Europe) and groupings ("EU").
            if code in known:
                yield code, name
    for code, names in ALIASES.items():
        for name in names:
            yield code, name
