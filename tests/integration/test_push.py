"""Push end to end: a Webcrm edit reaches Customcrm through a webhook with polling
effectively off, and a forged webhook is refused and changes nothing."""

from __future__ import annotations

import base64
import json
import uuid

import httpx

from devkit.local import LocalDeployment
from standins import ChargebeeStandIn, CustomwebshopStandIn
from standins.customwebshop import customwebshop_sample
from standins.webcrm import seed_webcrm
from tests.integration.scenario import ORGS, links, webcrm_customcrm

# The first poll would come after ten minutes: whatever syncs, came by webhook.
NO_POLLING = 600.0


def _post(url: str, body: dict, **headers: str) -> int:
    try:
        return httpx.post(url, content=json.dumps(body), headers=headers).status_code
    except httpx.HTTPError:
        return 0  # not listening yet


def test_webcrm_edit_reaches_customcrm_by_webhook_and_forgeries_are_refused(
    kafka_bootstrap, tmp_path
):
    with webcrm_customcrm(
        kafka_bootstrap, tmp_path, push=True, poll_interval=NO_POLLING
    ) as (local, webcrm, customcrm):
        seed_webcrm(webcrm, organisations=3, persons=0, products=0)
        org = webcrm.records("Organisations")[0]
        org_id = org["OrganisationId"]
        local.start_worker()
        base = local.receiver_url("w1")
        forged = {
            "HookId": 1,
            "EventType": "Update",
            "EntityType": "Organisations",
            "EntityId": org_id,
            "Entity": org | {"OrganisationName": "Forged AS"},
        }
        # A wrong secret in the path: refused once the receiver listens.
        local.wait_for(
            lambda: _post(f"{base}/hooks/webcrm/not-the-secret", forged) == 401,
            timeout=120,
            what="the receiver to refuse a forged webhook",
        )
        assert _post(f"{base}/hooks/webcrm", forged) in (404, 405)  # no secret
        local.wait_for(
            lambda: len(webcrm.records("Hooks")) == 9,  # 3 types x 3 event kinds
            timeout=120,
            what="Webcrm hooks registered by the worker",
        )

        webcrm.edit("Organisations", org_id, {"OrganisationCity": "Tromsø"})
        local.wait_for(
            lambda: any(
                c.get("City") == "Tromsø" for c in customcrm.records("customers")
            ),
            timeout=120,
            what="the edit to reach Customcrm by webhook",
        )
        customer_id = links(local, ORGS)[str(org_id)]
        webcrm.edit("Organisations", org_id, {"OrganisationName": "Pushed AS"})
        local.wait_for(
            lambda: customcrm.get("customers", customer_id)["Name"] == "Pushed AS",
            timeout=120,
            what="a second edit by webhook",
        )
        assert webcrm.webhooks.stats.delivered >= 2

        # The forgery never reached a topic, let alone Customcrm.
        assert _post(f"{base}/hooks/webcrm/not-the-secret", forged) == 401
        names = [c["Name"] for c in customcrm.records("customers")]
        assert "Forged AS" not in names
        topic = local.topics.entity("webcrm", "Organisations")
        published = [v for _, v in local.read_topic(topic) if v]
        assert published  # the webhooks' changes are there ...
        assert all(v["data"]["OrganisationName"] != "Forged AS" for v in published)
        # ... and only the edited organisation's: the others were never polled.
        assert {v["id"] for v in published} == {str(org_id)}


def test_signed_and_basic_auth_webhooks_carry_edits_both_ways(
    kafka_bootstrap, tmp_path
):
    """Customwebshop (HMAC-signed) creates a Chargebee item; a Chargebee edit
    (HTTP Basic) comes back; neither is polled."""
    webshop, chargebee = CustomwebshopStandIn().start(), ChargebeeStandIn().start()
    local = LocalDeployment(
        bootstrap=kafka_bootstrap,
        app_id=f"it-{uuid.uuid4().hex[:10]}",
        home=tmp_path,
        standins={"customwebshop": webshop, "chargebee": chargebee},
        flows="customwebshop-product-to-chargebee-item",
        poll_interval=NO_POLLING,
        push=True,
    )
    try:
        webshop.seed("products", customwebshop_sample(products=2)["products"])
        local.start_worker()
        base = local.receiver_url("w1")
        product = webshop.get("products", "PR-1001")
        forged = {"event": "updated", "resource": "products", "data": product}
        local.wait_for(
            lambda: _post(f"{base}/hooks/customwebshop", forged) == 401,
            timeout=120,
            what="the receiver to refuse an unsigned webhook",
        )
        wrong = base64.b64encode(b"tether:guess").decode()
        event = {"event_type": "item_updated", "content": {"item": {"id": "x"}}}
        assert (
            _post(f"{base}/hooks/chargebee", event, authorization=f"Basic {wrong}")
            == 401
        )

        webshop.edit("products", "PR-1001", {"Name": "Pushed Lamp"})
        local.wait_for(
            lambda: any(i["name"] == "Pushed Lamp" for i in chargebee.records("items")),
            timeout=120,
            what="the signed webhook's change to create the Chargebee item",
        )
        (item,) = [i for i in chargebee.records("items") if i["name"] == "Pushed Lamp"]
        chargebee.edit("items", item["id"], {"name": "Renamed in Chargebee"})
        local.wait_for(
            lambda: (
                webshop.get("products", "PR-1001")["Name"] == "Renamed in Chargebee"
            ),
            timeout=120,
            what="the Chargebee event (HTTP Basic) to come back to Customwebshop",
        )
        assert webshop.webhooks.stats.delivered >= 1
        assert chargebee.webhooks.stats.delivered >= 1
    finally:
        local.stop()
        webshop.stop()
        chargebee.stop()
