"""``corrupt_next``: broken 200 answers for the next n matching requests."""

from __future__ import annotations

import httpx
import orjson
import pytest

from standins._corrupt import INVALID_UTF8_MARK
from standins.remote import RemoteStandIn

STAMP = "2024-05-01T10:00:00+01:00"


def _org(webcrm, name: str = "Fjord AS") -> None:
    webcrm.seed("Organisations", [{"OrganisationId": 1, "OrganisationName": name}])


def test_html200_then_the_real_answer(webcrm, wc):
    _org(webcrm)
    webcrm.corrupt_next(2, "html200", path="/Organisations")
    for _ in range(2):
        broken = wc.get("/Organisations")
        assert broken.status_code == 200
        assert broken.headers["content-type"].startswith("text/html")
        assert broken.content.startswith(b"<!DOCTYPE html>")
    assert wc.get("/Organisations").json()[0]["OrganisationId"] == 1
    assert webcrm.injector.corrupted["html200"] == 2


def test_path_prefix_includes_the_decoded_query(webcrm, wc):
    _org(webcrm)
    webcrm.corrupt_next(1, "empty", path="/Queries?script=SELECT * FROM Person")
    orgs = wc.get("/Queries", params={"script": "SELECT * FROM Organisation"})
    assert orgs.json()[0]["OrganisationId"] == 1
    persons = wc.get("/Queries", params={"script": "SELECT * FROM Person"})
    assert (persons.status_code, persons.content) == (200, b"")
    assert persons.headers["content-length"] == "0"


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("truncated", lambda body: body == b'{"data":[],"ne'),
        ("wrong_shape", lambda body: orjson.loads(body)[0]["data"] == []),
        ("null_items", lambda body: orjson.loads(body)["data"] is None),
        ("missing_paging", lambda body: orjson.loads(body) == {"data": []}),
        ("xml", lambda body: body.startswith(b"<?xml")),
    ],
)
def test_each_kind_breaks_the_listing(customcrm, cc, kind, check):
    customcrm.corrupt_next(1, kind, path="/customers?page=")
    assert cc.get("/customers", params={"Name": "x"}).json()["data"] == []
    broken = cc.get("/customers", params={"page": 1})
    assert broken.status_code == 200
    assert check(broken.content), broken.content
    assert cc.get("/customers", params={"page": 1}).json()["data"] == []


def test_invalid_utf8_waits_for_a_body_with_the_mark(webcrm, wc):
    _org(webcrm, name=f"Bad {INVALID_UTF8_MARK} AS")
    webcrm.seed("Persons", [{"PersonId": 5, "PersonFirstName": "Kari"}])
    webcrm.corrupt_next(1, "invalid_utf8")
    assert wc.get("/Persons").json()[0]["PersonId"] == 5  # no mark: untouched
    broken = wc.get("/Organisations").content
    assert b"Bad \xff\xfe\xc3 AS" in broken
    assert INVALID_UTF8_MARK in wc.get("/Organisations").json()[0]["OrganisationName"]


def test_errors_pass_through_without_using_the_rule(customcrm):
    customcrm.corrupt_next(1, "html200", path="/customers")
    with httpx.Client(base_url=customcrm.url) as anonymous:
        assert anonymous.get("/customers").status_code == 401
    assert customcrm.injector.corrupted["html200"] == 0


def test_unknown_kinds_and_counts_are_refused(webcrm):
    with pytest.raises(ValueError, match="unknown corruption 'gibberish'"):
        webcrm.corrupt_next(1, "gibberish")
    with pytest.raises(ValueError, match="at least 1"):
        webcrm.corrupt_next(0, "html200")


def test_reset_forgets_pending_corruptions(webcrm, wc):
    _org(webcrm)
    webcrm.corrupt_next(1, "html200")
    webcrm.injector.reset()
    assert wc.get("/Organisations").status_code == 200
    assert wc.get("/Organisations").json()[0]["OrganisationId"] == 1


def test_over_the_admin_api(customcrm, cc):
    with RemoteStandIn(customcrm.url) as remote:
        remote.corrupt_next(1, "truncated", path="/customers")
    assert cc.get("/customers").content == b'{"data":[],"ne'
    with httpx.Client(base_url=customcrm.url) as admin:
        refused = admin.post("/_admin/faults/corrupt_next", json={"kind": "nope"})
    assert refused.status_code == 400
    assert "unknown corruption" in refused.json()["detail"]


def test_every_matching_rule_applies_in_order(webcrm, wc):
    _org(webcrm, name=f"Bad {INVALID_UTF8_MARK} AS")
    webcrm.corrupt_next(100, "invalid_utf8")
    webcrm.corrupt_next(1, "empty", path="/Organisations")
    assert wc.get("/Organisations").content == b""
    assert b"\xff\xfe" in wc.get("/Organisations").content
    assert webcrm.injector.corrupted == {"invalid_utf8": 2, "empty": 1}


def test_a_write_is_applied_then_answered_broken(customcrm, cc):
    [stored] = customcrm.seed("customers", [{"Name": "Fjord AS"}])
    path = f"/customers/{stored['Id']}"
    customcrm.corrupt_next(1, "html200", path=path, method="PUT")
    broken = cc.put(path, json={"Name": "Fjell AS"})
    assert broken.status_code == 200
    assert broken.content.startswith(b"<!DOCTYPE html>")
    assert customcrm.get("customers", stored["Id"])["Name"] == "Fjell AS"
    assert cc.put(path, json={"Name": "Fjord AS"}).json()["Name"] == "Fjord AS"
    assert customcrm.injector.corrupted["html200"] == 1
