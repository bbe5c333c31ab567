"""Stand-ins send webhooks the way their real API would, from a thread, retried a
little, then dropped; seeding sends none."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.base.webhooks import Delivery, hmac_verifier
from standins.webhooks import Outgoing, WebhookSender


class Receiver:
    """A local HTTP server that records POSTs and answers ``statuses`` in turn."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.bodies: list[bytes] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length", 0))
                owner.bodies.append(self.rfile.read(length))
                status = owner.statuses.pop(0) if owner.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def capture(monkeypatch, standin) -> list[Outgoing]:
    captured: list[Outgoing] = []
    monkeypatch.setattr(standin.webhooks, "send", captured.append)
    return captured


def test_delivered_in_order(receiver):
    sender = WebhookSender("t")
    for n in range(5):
        sender.send(Outgoing(receiver.url, json.dumps({"n": n}).encode()))
    assert sender.wait_idle(10)
    sender.stop()
    assert [json.loads(b)["n"] for b in receiver.bodies] == [0, 1, 2, 3, 4]
    assert sender.stats.delivered == 5


def test_a_failing_delivery_is_retried_then_dropped():
    failing = Receiver(statuses=[503, 500])
    try:
        sender = WebhookSender("t", retry_delays=(0.01, 0.01, 0.01))
        sender.send(Outgoing(failing.url, b"{}"))  # third attempt succeeds
        assert sender.wait_idle(10)
        assert (sender.stats.delivered, sender.stats.failed_attempts) == (1, 2)
        failing.statuses = [500] * 4
        sender.send(Outgoing(failing.url, b"{}"))
        assert sender.wait_idle(10)
        assert sender.stats.dropped == 1
        assert len(failing.bodies) == 2 + 1 + 4
        sender.stop()
    finally:
        failing.close()


def test_an_unreachable_receiver_never_blocks_the_sender():
    sender = WebhookSender("t", retry_delays=(0.01,))
    sender.send(Outgoing("http://127.0.0.1:9/none", b"{}"))  # returns at once
    assert sender.wait_idle(10)
    assert sender.stats.dropped == 1
    sender.stop()


def test_webcrm_hooks_post_to_their_target_on_each_change(wc, webcrm, monkeypatch):
    hooks = {
        kind: wc.post(
            "/Organisations/Hooks",
            json={"TargetUrl": f"https://t.example/{kind}", "EventType": kind},
        ).json()
        for kind in ("Create", "Update")
    }
    off = {"TargetUrl": "https://t.example/off", "EventType": "Update"}
    wc.put(
        f"/Hooks/{wc.post('/Organisations/Hooks', json=off).json()}",
        json=off | {"IsEnabled": False},
    )
    sent = capture(monkeypatch, webcrm)
    seeded = webcrm.seed("Organisations", [{"OrganisationName": "Seeded AS"}])[0]
    assert sent == []  # seeded data was always there
    key = seeded["OrganisationId"]
    webcrm.edit("Organisations", key, {"OrganisationCity": "Bergen"})
    (update,) = sent
    assert update.url == "https://t.example/Update"
    body = json.loads(update.body)
    assert body["HookId"] == hooks["Update"]
    assert (body["EventType"], body["EntityType"], body["EntityId"]) == (
        "Update",
        "Organisations",
        key,
    )
    assert body["Entity"]["OrganisationCity"] == "Bergen"
    created = wc.post("/Organisations", json={"OrganisationName": "New AS"}).json()
    assert [json.loads(s.body)["EntityId"] for s in sent[1:]] == [created]
    assert sent[1].url == "https://t.example/Create"


def test_chargebee_sends_its_events_with_basic_auth(chargebee, monkeypatch):
    sent = capture(monkeypatch, chargebee)
    chargebee.webhook_to("https://t.example/cb", "tether", "pw")
    try:
        item = chargebee.seed(
            "items",
            [
                {
                    "id": "silver",
                    "name": "Silver",
                    "type": "plan",
                    "item_family_id": "webshop-products",
                }
            ],
        )[0]
        assert sent == []
        chargebee.edit("items", item["id"], {"name": "Silver 2"})
        (event,) = sent
        body = json.loads(event.body)
        assert body["event_type"] == "item_updated"
        assert body["content"]["item"]["name"] == "Silver 2"
        scheme, _, token = event.headers["authorization"].partition(" ")
        assert (scheme, base64.b64decode(token)) == ("Basic", b"tether:pw")
    finally:
        chargebee.webhook_to(None)


def test_custom_systems_sign_their_webhooks(cc, customcrm, monkeypatch):
    sent = capture(monkeypatch, customcrm)
    customcrm.webhook_to("https://t.example/cc", "shh")
    try:
        created = cc.post("/customers", json={"Name": "Signed AS"}).json()
        cc.delete(f"/customers/{created['Id']}")
        verify = hmac_verifier(SecretStr("shh"))
        events = []
        for outgoing in sent:
            assert verify(Delivery(outgoing.body, outgoing.headers))
            assert not hmac_verifier(SecretStr("other"))(
                Delivery(outgoing.body, outgoing.headers)
            )
            events.append(json.loads(outgoing.body))
        assert [(e["event"], e["resource"]) for e in events] == [
            ("created", "customers"),
            ("deleted", "customers"),
        ]
        assert events[0]["data"]["Name"] == "Signed AS"
    finally:
        customcrm.webhook_to(None)
