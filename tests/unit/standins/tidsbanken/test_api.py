"""Tidsbanken stand-in: gateway headers, OData lists, Kunde and Avdeling writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from standins.tidsbanken import tidsbanken_sample


def label_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    ("drop", "change", "status"),
    [
        ("Ocp-Apim-Subscription-Key", None, 401),
        (None, ("Ocp-Apim-Subscription-Key", "wrong"), 401),
        ("tb-key", None, 401),
        (None, ("tb-key", "wrong"), 401),
        ("x-api-version", None, 400),
        (None, ("x-api-version", "1.0"), 400),
    ],
)
def test_gateway_headers(tb, tidsbanken, drop, change, status):
    headers = dict(tb.headers)
    if drop:
        del headers[drop.lower()]
    if change:
        headers[change[0].lower()] = change[1]
    tb.headers.clear()
    tb.headers.update(headers)
    response = tb.get("/prosjekt/Kunde")
    assert response.status_code == status
    assert tb.post("/prosjekt/Kunde", json={"Id": "1"}).status_code == status
    assert tidsbanken.write_count() == 0


def test_lists_are_odata_with_count_and_paging(tb, tidsbanken):
    tidsbanken.seed("Kunde", tidsbanken_sample(kunder=5)["Kunde"])
    body = tb.get("/prosjekt/Kunde", params={"$count": "true", "$top": 2}).json()
    assert body["@odata.context"] == f"{tidsbanken.url}/prosjekt/$metadata#Kunde"
    assert body["@odata.count"] == 5
    assert [k["Id"] for k in body["value"]] == ["10001", "10002"]
    rest = tb.get("/prosjekt/Kunde", params={"$top": 2, "$skip": 4}).json()["value"]
    assert [k["Id"] for k in rest] == ["10005"]
    assert tb.get("/prosjekt/kunde").status_code == 200
    assert tb.get("/prosjekt/Kunde", params={"$filter": "Id eq"}).status_code == 400


def test_the_change_filter_compares_labels_in_time_order(tb, tidsbanken):
    tidsbanken.seed(
        "Kunde",
        [
            {"Navn": "A", "SistEndretDato": "2024-03-01T10:00:00Z"},
            {"Navn": "B", "SistEndretDato": "2024-03-01T10:00:00.500Z"},
            {"Navn": "C", "SistEndretDato": "2024-01-01T00:00:00Z"},
        ],
    )
    params = {
        "$filter": "SistEndretDato gt 2024-03-01T10:00:00Z",
        "$orderby": "SistEndretDato asc,Id asc",
    }
    assert [
        k["Navn"] for k in tb.get("/prosjekt/Kunde", params=params).json()["value"]
    ] == ["B"]
    params["$filter"] = "(SistEndretDato gt 1970-01-01)"
    names = [
        k["Navn"] for k in tb.get("/prosjekt/Kunde", params=params).json()["value"]
    ]
    assert names == ["C", "A", "B"]


def test_avdeling_is_looked_up_with_a_filter(tb, tidsbanken):
    tidsbanken.seed("Avdeling", tidsbanken_sample(avdelinger=3)["Avdeling"])
    params = {"$filter": "Id eq '20'", "$select": "*", "$top": 1}
    [avdeling] = tb.get("/ansatt/avdeling", params=params).json()["value"]
    assert avdeling["Navn"] == "Drift"
    assert isinstance(avdeling["Avdelingsleder"], int)


def test_kunde_by_key_is_wrapped_in_value(tb, tidsbanken):
    tidsbanken.seed("Kunde", [{"Id": "O'B", "Navn": "Quote"}])
    body = tb.get("/prosjekt/Kunde('O''B')").json()
    assert [k["Navn"] for k in body["value"]] == ["Quote"]
    tidsbanken.wrap_single = False
    try:
        bare = tb.get("/prosjekt/Kunde('O''B')").json()
        assert bare["Navn"] == "Quote"
        assert bare["@odata.context"].endswith("#Kunde/$entity")
    finally:
        tidsbanken.wrap_single = True
    assert tb.get("/prosjekt/Kunde('nope')").status_code == 404
    assert tb.get("/prosjekt/Kunde(10001)").status_code == 400


def test_insert_sets_the_time_an_hour_behind_for_kunde(tb, tidsbanken):
    before = datetime.now(UTC)
    kunde = tb.post("/prosjekt/Kunde", json={"Id": "7", "Navn": "Ny"})
    avdeling = tb.post("/ansatt/Avdeling", json={"Id": "70", "Navn": "Ny"})
    after = datetime.now(UTC)
    assert (kunde.status_code, avdeling.status_code) == (201, 201)
    # Labels are the write's time (give or take a second of truncation), less
    # an hour for Kunde.
    hour, second = timedelta(hours=1), timedelta(seconds=1)
    kunde_label = label_time(kunde.json()["SistEndretDato"])
    avdeling_label = label_time(avdeling.json()["SistEndretDato"])
    assert before - hour - second <= kunde_label <= after - hour + second
    assert before - second <= avdeling_label <= after + second
    assert kunde.json()["Mobil"] == ""
    assert avdeling.json()["Synlig"] is True
    env = tidsbanken.connector_env()
    assert orjson.loads(env["TIDSBANKEN_CLOCK_SKEW_SECONDS"]) == {
        "Avdeling": 0.0,
        "Kunde": 3600.0,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"Navn": "No id"},
        {"Id": "", "Navn": "Empty id"},
        {"Id": 7, "Navn": "Numeric id"},
        {"Id": "8", "Navn": None},
        {"Id": "8", "Fax": "22"},
        [{"Id": "8"}],
    ],
    ids=["missing", "empty", "number", "null", "unknown", "array"],
)
def test_insert_refusals(tb, tidsbanken, body):
    assert tb.post("/prosjekt/Kunde", json=body).status_code == 400
    assert tb.post("/ansatt/Avdeling", json=body).status_code == 400
    assert tidsbanken.write_count() == 0


def test_a_taken_id_is_400(tb, tidsbanken):
    assert tb.post("/prosjekt/Kunde", json={"Id": "7"}).status_code == 201
    response = tb.post("/prosjekt/Kunde", json={"Id": "7", "Navn": "Again"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "DuplicateKey"
    assert tidsbanken.write_count() == 1


def test_put_kunde_takes_an_array_and_replaces(tb, tidsbanken):
    tidsbanken.seed("Kunde", [{"Id": "7", "Navn": "A", "Poststed": "Oslo"}])
    old = tidsbanken.get("Kunde", "7")["SistEndretDato"]
    response = tb.put("/prosjekt/Kunde", json=[{"Id": "7", "Navn": "B", "Epost": None}])
    assert response.status_code == 200
    [saved] = response.json()["value"]
    assert (saved["Navn"], saved["Poststed"], saved["Epost"]) == ("B", "", "")
    assert label_time(saved["SistEndretDato"]) > label_time(old)
    assert tb.put("/prosjekt/Kunde", json={"Id": "7"}).status_code == 400
    assert tb.put("/prosjekt/Kunde", json=[{"Navn": "no id"}]).status_code == 400
    assert tb.put("/prosjekt/Kunde", json=[{"Id": "404"}]).status_code == 404
    assert tidsbanken.write_count() == 1


def test_patch_avdeling_merges(tb, tidsbanken):
    tidsbanken.seed("Avdeling", [{"Id": "10", "Navn": "Salg", "Poststed": "Oslo"}])
    patched = tb.patch("/ansatt/Avdeling/10", json={"Navn": "Salg Nord"})
    assert patched.status_code == 200
    assert (patched.json()["Navn"], patched.json()["Poststed"]) == ("Salg Nord", "Oslo")
    assert tb.patch("/ansatt/Avdeling/10", json={"Id": "11"}).status_code == 400
    assert tb.patch("/ansatt/Avdeling/10", json={"Synlig": "yes"}).status_code == 400
    assert tb.patch("/ansatt/Avdeling/99", json={"Navn": "x"}).status_code == 404
    assert tidsbanken.write_count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/prosjekt/Kunde"),
        ("DELETE", "/prosjekt/Kunde"),
        ("PUT", "/ansatt/Avdeling"),
        ("DELETE", "/ansatt/Avdeling/10"),
        ("PUT", "/ansatt/Avdeling/10"),
        ("DELETE", "/prosjekt/Kunde('7')"),
    ],
)
def test_what_tidsbanken_cannot_do_is_405(tb, tidsbanken, method, path):
    tidsbanken.seed("Avdeling", [{"Id": "10"}])
    assert tb.request(method, path, json={"Id": "10"}).status_code == 405
    assert tidsbanken.write_count() == 0


def test_sample_data_is_deterministic_and_seeds(tidsbanken):
    first, second = tidsbanken_sample(seed=3), tidsbanken_sample(seed=3)
    assert first == second
    assert first != tidsbanken_sample(seed=4)
    for entity, records in first.items():
        tidsbanken.seed(entity, records)
    kunder = tidsbanken.records("Kunde")
    assert any(k["Organisasjonsnummer"] == "" for k in kunder)
    assert len({a["Organisasjonsnr"] for a in tidsbanken.records("Avdeling")}) == 1


def test_the_label_lag_is_a_runtime_knob(http, tb, tidsbanken):
    url = f"{tidsbanken.url}/_admin/label_lag"
    assert http.get(url).json() == {"Avdeling": 0.0, "Kunde": 3600.0}
    assert http.put(url, json={"Kunde": 0}).json()["Kunde"] == 0.0
    before = datetime.now(UTC)
    kunde = tb.post("/prosjekt/Kunde", json={"Id": "1"}).json()
    after = datetime.now(UTC)
    second = timedelta(seconds=1)
    assert before - second <= label_time(kunde["SistEndretDato"]) <= after + second
    assert http.put(url, json={"Prosjekt": 1}).status_code == 400
    assert http.put(url, content=b"{").status_code == 400


def test_reset_restores_the_knobs(tidsbanken):
    tidsbanken.label_lag = {}
    tidsbanken.wrap_single = False
    tidsbanken.reset()
    assert tidsbanken.lag("Kunde") == timedelta(hours=1)
    assert tidsbanken.wrap_single
