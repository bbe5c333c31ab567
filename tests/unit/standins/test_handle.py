"""The programmatic handle and its /_admin twin: seed, write counting, inject_raw."""

from __future__ import annotations

import httpx
import pytest

from standins.customcrm import CustomcrmStandIn
from standins.remote import RemoteStandIn


def test_write_counting_counts_api_writes_only(cc, customcrm):
    [seeded] = customcrm.seed("customers", [{"Name": "Seeded"}])
    customcrm.edit("customers", seeded["Id"], {"City": "Oslo"})
    assert customcrm.write_count() == 0
    created = cc.post("/customers", json={"Name": "A"}).json()
    cc.put(f"/customers/{created['Id']}", json={"City": "Bergen"})
    cc.post("/contacts", json={"LastName": "N"})
    cc.post("/contacts", json={})  # refused: not a write
    cc.get("/customers")
    assert customcrm.write_count() == 3
    assert customcrm.write_count("customers") == 2
    log = customcrm.writes("customers")
    assert [(w.method, w.path, w.id) for w in log] == [
        ("POST", "/customers", created["Id"]),
        ("PUT", f"/customers/{created['Id']}", created["Id"]),
    ]
    customcrm.reset_counters()
    assert customcrm.write_count() == 0
    assert len(customcrm.records("customers")) == 2


def test_seeded_ids_do_not_collide_with_assigned_ones(cc, customcrm):
    customcrm.seed("customers", [{"Id": "C-2000", "Name": "Given"}])
    created = cc.post("/customers", json={"Name": "New"}).json()
    assert created["Id"] == "C-2001"


def test_webcrm_seed_respects_given_ids(wc, webcrm):
    webcrm.seed("Persons", [{"PersonId": 50, "PersonLastName": "Given"}])
    assert wc.post("/Persons", json={"PersonLastName": "New"}).json() == 51


def test_seed_validates(webcrm, customcrm):
    with pytest.raises(ValueError, match="invalid"):
        webcrm.seed("Organisations", [{"OrganisationOwner": "x"}])
    with pytest.raises(ValueError, match="invalid"):
        customcrm.seed("customers", [{"Colour": "red"}])
    with pytest.raises(KeyError):
        webcrm.get("Organisations", 12345)


def test_inject_raw_reaches_webcrm_lists_and_feeds(wc, webcrm):
    key = webcrm.inject_raw(
        "Organisations", {"OrganisationId": "abc", "OrganisationName": 42}
    )
    no_id = webcrm.inject_raw("Organisations", {"OrganisationName": None})
    assert key == "abc"
    assert no_id != key
    listed = wc.get("/Organisations").json()
    assert {"OrganisationId": "abc", "OrganisationName": 42} in listed
    feed = wc.get(
        "/Queries",
        params={
            "script": "SELECT * FROM Organisation WHERE "
            "OrganisationUpdatedAt >= '2000-01-01T00:00:00Z'"
        },
    ).json()
    assert len(feed) == 2  # no readable time: the store's own stamp places them
    assert webcrm.write_count() == 0


def test_inject_raw_reaches_the_customcrm_feed(cc, customcrm):
    customcrm.inject_raw("contacts", {"Id": "P-x", "LastName": 7, "UpdatedAt": "junk"})
    customcrm.inject_raw("contacts", ["not", "an", "object"])
    data = cc.get("/contacts", params={"updated_since": "2000-01-01T00:00:00Z"}).json()
    assert {"Id": "P-x", "LastName": 7, "UpdatedAt": "junk"} in data["data"]
    assert ["not", "an", "object"] in data["data"]
    assert cc.get("/contacts/P-x").json()["LastName"] == 7


def test_remote_handle_over_admin_endpoints(http, customcrm):
    with RemoteStandIn(customcrm.url) as remote:
        assert remote.credentials() == {"api_key": customcrm.api_key}
        [stored] = remote.seed("customers", [{"Name": "A"}])
        assert remote.get("customers", stored["Id"])["Name"] == "A"
        edited = remote.edit("customers", stored["Id"], {"City": "Oslo"})
        assert edited["UpdatedAt"] > stored["UpdatedAt"]
        assert remote.inject_raw("customers", {"Name": 1}).startswith("_raw-")
        assert len(remote.records("customers")) == 2
        with pytest.raises(KeyError):
            remote.get("customers", "C-0")
        remote.fail_next(1, 500)
        headers = {"Authorization": f"Bearer {customcrm.api_key}"}
        url = f"{customcrm.url}/customers"
        assert http.post(url, json={"Name": "B"}, headers=headers).status_code == 500
        remote.lose_next(1)
        assert http.post(url, json={"Name": "B"}, headers=headers).status_code == 502
        assert remote.write_count() == 1
        assert remote.writes("customers")[0]["method"] == "POST"
        assert remote.set_faults(latency_ms=1)["latency_ms"] == 1
        remote.reset_counters()
        assert remote.write_count() == 0
        remote.reset()
        assert remote.records("customers") == []
        assert remote.faults["latency_ms"] == 0


def test_admin_rejects_bad_input(http, customcrm):
    base = f"{customcrm.url}/_admin"
    assert http.post(f"{base}/seed/customers", json={"Name": "x"}).status_code == 400
    assert http.post(f"{base}/seed/nope", json=[]).status_code == 404
    assert http.post(f"{base}/edit/customers/C-1", json={}).status_code == 404
    assert http.get(f"{base}/info").json()["system"] == "customcrm"


def test_a_restarted_stand_in_keeps_its_url_and_data(http):
    standin = CustomcrmStandIn().start()
    try:
        standin.seed("customers", [{"Name": "Kept"}])
        url = standin.url
        standin.stop()
        with pytest.raises(httpx.ConnectError):
            http.get(f"{url}/_admin/info")
        standin.start()
        assert standin.url == url
        assert http.get(f"{url}/_admin/records/customers").json()[0]["Name"] == "Kept"
    finally:
        standin.stop()
