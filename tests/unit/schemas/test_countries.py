"""The one country table: ISO codes and names, CLDR's Nordic names, a few aliases."""

from __future__ import annotations

import unicodedata
from collections import defaultdict

import pytest

from schemas import countries
from schemas.countries import ALIASES, country_code, country_key, fold


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("Brasil", "BR"),  # nb, nn
        ("Brasilien", "BR"),  # sv, da
        ("Tyskland", "DE"),
        ("Sverige", "SE"),
        ("Norge", "NO"),
        ("Noreg", "NO"),  # nynorsk
        ("Danmark", "DK"),
        ("Storbritannia", "GB"),
        ("Storbritannien", "GB"),
        ("Østerrike", "AT"),
        ("Austerrike", "AT"),  # nynorsk
        ("Österrike", "AT"),  # Swedish
        ("Østrig", "AT"),  # Danish
        ("Nederländerna", "NL"),
        ("Nederlandene", "NL"),
        ("Elfenbenskysten", "CI"),
    ],
)
def test_nordic_names_come_from_cldr(spelling, code):
    assert country_code(spelling) == code


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("Brazil", "BR"),
        ("Germany", "DE"),
        ("United Kingdom", "GB"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("Bolivia", "BO"),  # ISO's common name
        ("Bolivia, Plurinational State of", "BO"),  # ISO's short name
        ("NO", "NO"),
        ("nor", "NO"),
        ("BRA", "BR"),
        ("gb", "GB"),
    ],
)
def test_english_names_and_iso_codes(spelling, code):
    assert country_code(spelling) == code


@pytest.mark.parametrize(
    "spelling", ["norge", "NORGE", "  Norge ", "\tnorway\n", "NoRwAy", "no", " NOR "]
)
def test_case_and_white_space_do_not_matter(spelling):
    assert country_code(spelling) == "NO"


def test_the_unicode_normal_form_does_not_matter_but_accents_do():
    decomposed = unicodedata.normalize("NFD", "Österrike")
    assert decomposed != "Österrike"  # an O and a combining diaeresis
    assert country_code(decomposed) == "AT"
    assert country_code("Ｎｏｒｇｅ") == "NO"  # full-width letters, NFKC
    assert country_code("Osterrike") is None


# Every spelling the hand-written tables (engine/countries.py and the Membercare
# connector's) matched before the libraries took over: none may be lost.
EARLIER_SPELLINGS = {
    "NO": ("NOR", "Norway", "Norge", "Noreg", "Norwegen"),
    "SE": ("SWE", "Sweden", "Sverige", "Schweden"),
    "DK": ("DNK", "Denmark", "Danmark", "Dänemark"),
    "FI": ("FIN", "Finland", "Suomi", "Finnland"),
    "IS": ("ISL", "Iceland", "Island", "Ísland"),
    "GB": ("GBR", "United Kingdom", "UK", "Great Britain", "England",
           "Storbritannia", "Storbritannien", "Det forente kongerike"),
    "IE": ("IRL", "Ireland", "Irland"),
    "DE": ("DEU", "Germany", "Tyskland", "Deutschland"),
    "NL": ("NLD", "Netherlands", "Nederland", "Holland", "Nederländerna"),
    "BE": ("BEL", "Belgium", "Belgia", "Belgien"),
    "FR": ("FRA", "France", "Frankrike", "Frankrig"),
    "ES": ("ESP", "Spain", "Spania", "Spanien", "España"),
    "PT": ("PRT", "Portugal"),
    "IT": ("ITA", "Italy", "Italia", "Italien"),
    "CH": ("CHE", "Switzerland", "Sveits", "Schweiz"),
    "AT": ("AUT", "Austria", "Østerrike", "Österreich", "Østrig"),
    "PL": ("POL", "Poland", "Polen", "Polska"),
    "EE": ("EST", "Estonia", "Estland", "Eesti"),
    "LV": ("LVA", "Latvia", "Lettland", "Letland"),
    "LT": ("LTU", "Lithuania", "Litauen"),
    "US": ("USA", "United States", "United States of America", "Amerika",
           "De forente stater"),
    "CA": ("CAN", "Canada"),
    "AU": ("AUS", "Australia", "Australien"),
    "JP": ("JPN", "Japan"),
    "CN": ("CHN", "China", "Kina"),
    "IN": ("IND", "India", "Indien"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("code", "spelling"),
    [(code, s) for code, spellings in EARLIER_SPELLINGS.items() for s in spellings],
)
def test_every_earlier_spelling_still_matches(code, spelling):
    assert country_code(spelling) == code
    assert country_code(code) == code


def test_each_alias_is_one_the_libraries_lack():
    # An alias the libraries learn becomes dead weight: drop it from ALIASES then.
    from_libraries = {
        fold(spelling)
        for code, spelling in countries._spellings()
        if spelling not in ALIASES.get(code, ())
    }
    for spellings in ALIASES.values():
        for spelling in spellings:
            assert fold(spelling) not in from_libraries, spelling


def test_no_spelling_names_two_countries():
    codes_by_spelling: dict[str, set[str]] = defaultdict(set)
    for code, spelling in countries._spellings():
        codes_by_spelling[fold(spelling)].add(code)
    ambiguous = {s: c for s, c in codes_by_spelling.items() if len(c) > 1}
    assert ambiguous == {}


def test_regions_and_groupings_are_not_countries():
    assert country_code("Europa") is None  # CLDR's region 150
    assert country_code("EU") is None
    assert country_code("Den europeiske union") is None


@pytest.mark.parametrize("value", [None, "", "   ", 47, "Atlantis"])
def test_unknown_or_not_text_is_none(value):
    assert country_code(value) is None


def test_country_key_is_the_code_or_else_the_folded_text():
    assert country_key(" norge ") == "NO"
    assert country_key("Sverige") == country_key("SE") == "SE"
    assert country_key("  Atlantis   Major ") == "atlantis major"
