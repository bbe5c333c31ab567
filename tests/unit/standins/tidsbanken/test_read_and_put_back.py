"""Tidsbanken: a Kunde or Avdeling read and written back whole is a valid update.

``SistEndretDato`` and ``@odata.*`` annotations in a body are the server's and are
ignored (systems.md 3.1: Kunde is updated with ``PUT`` of an array of kunder,
Avdeling with ``PATCH``).
"""

from __future__ import annotations

from standins.tidsbanken import tidsbanken_sample


def test_a_kunde_read_by_key_and_put_back(tb, tidsbanken):
    tidsbanken.seed("Kunde", tidsbanken_sample()["Kunde"][:2])
    for wrapped in (True, False):
        tidsbanken.wrap_single = wrapped
        body = tb.get("/prosjekt/Kunde('10001')").json()
        read = body["value"][0] if wrapped else body
        changed = read | {"Navn": f"Fjord Bygg {wrapped} AS"}
        response = tb.put("/prosjekt/Kunde", json=[changed])
        assert response.status_code == 200, response.text
        [saved] = response.json()["value"]
        assert saved["Navn"] == changed["Navn"]
        assert saved["SistEndretDato"] != read["SistEndretDato"]
        kept = {k: v for k, v in read.items() if not k.startswith(("@", "Sist"))}
        assert {k: saved[k] for k in kept} == kept | {"Navn": changed["Navn"]}
    assert tidsbanken.write_count("Kunde") == 2


def test_an_avdeling_read_from_the_list_and_patched_back(tb, tidsbanken):
    tidsbanken.seed("Avdeling", tidsbanken_sample()["Avdeling"][:1])
    params = {"$filter": "Id eq '10'", "$select": "*", "$top": "1"}
    [read] = tb.get("/ansatt/avdeling", params=params).json()["value"]
    response = tb.patch("/ansatt/Avdeling/10", json=read | {"Navn": "Salg Nord"})
    assert response.status_code == 200, response.text
    assert response.json()["Navn"] == "Salg Nord"
    assert response.json()["Avdelingsleder"] == read["Avdelingsleder"]
    assert tidsbanken.write_count("Avdeling") == 1
