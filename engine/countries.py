"""Country values as people type them ("Norge", "Norway", "NO") to ISO alpha-2 codes.

Value-keyed flows match free-text countries to a system's country list by name
or ISO code (DESIGN.md rule 7); names are known in English and the Nordic
languages, the ones the seven systems' users write.
"""

from __future__ import annotations

import unicodedata

# ISO alpha-2 -> (alpha-3, names in English, Norwegian, Swedish, Danish, native).
_COUNTRIES: dict[str, tuple[str, ...]] = {
    "NO": ("NOR", "Norway", "Norge", "Noreg", "Norwegen"),
    "SE": ("SWE", "Sweden", "Sverige", "Schweden"),
    "DK": ("DNK", "Denmark", "Danmark", "Dänemark"),
    "FI": ("FIN", "Finland", "Suomi", "Finnland"),
    "IS": ("ISL", "Iceland", "Island", "Ísland"),
    "GB": ("GBR", "United Kingdom", "UK", "Great Britain", "England", "Storbritannia",
           "Storbritannien", "Det forente kongerike"),
    "IE": ("IRL", "Ireland", "Irland"),
    "DE": ("DEU", "Germany", "Tyskland", "Deutschland"),
    "NL": ("NLD", "Netherlands", "Nederland", "Holland", "Nederländerna"),
    "BE": ("BEL", "Belgium", "Belgia", "Belgien"),
    "FR": ("FRA", "France", "Frankrike", "Frankrig"),
    "ES": ("ESP", "Spain", "Spania", "Spanien", "España"),
    "PT": ("PRT", "Portugal",),
    "IT": ("ITA", "Italy", "Italia", "Italien"),
    "CH": ("CHE", "Switzerland", "Sveits", "Schweiz"),
    "AT": ("AUT", "Austria", "Østerrike", "Österreich", "Østrig"),
    "PL": ("POL", "Poland", "Polen", "Polska"),
    "EE": ("EST", "Estonia", "Estland", "Eesti"),
    "LV": ("LVA", "Latvia", "Latvia", "Lettland", "Letland"),
    "LT": ("LTU", "Lithuania", "Litauen"),
    "US": ("USA", "United States", "United States of America", "USA", "Amerika", "USA"),
    "CA": ("CAN", "Canada",),
    "AU": ("AUS", "Australia", "Australien"),
    "JP": ("JPN", "Japan",),
    "CN": ("CHN", "China", "Kina"),
    "IN": ("IND", "India", "Indien"),
}  # fmt: skip


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


_BY_SPELLING: dict[str, str] = {
    _fold(spelling): iso2
    for iso2, spellings in _COUNTRIES.items()
    for spelling in (iso2, *spellings)
}


def country_code(value: str) -> str | None:
    """The ISO alpha-2 code of a country name or code; ``None`` when unknown."""
    return _BY_SPELLING.get(_fold(value)) if value and value.strip() else None


def country_key(value: str) -> str:
    """A matching key: the ISO code when known, else the folded text itself."""
    return country_code(value) or _fold(value)
