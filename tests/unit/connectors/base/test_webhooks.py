"""Webhook senders are verified: path secret, HTTP Basic, HMAC-SHA256 signature."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr

from connectors.base.webhooks import (
    Delivery,
    WebhookRefusedError,
    basic_verifier,
    hmac_verifier,
    sign,
    token_verifier,
)
from connectors.chargebee.webhooks import ChargebeeWebhookSettings
from connectors.chargebee.webhooks import webhook_spec as chargebee_spec
from connectors.customcrm.webhooks import CustomcrmWebhookSettings
from connectors.customcrm.webhooks import webhook_spec as customcrm_spec
from connectors.webcrm.webhooks import WebcrmWebhookSettings, hook_target
from connectors.webcrm.webhooks import webhook_spec as webcrm_spec

SECRET = SecretStr("s3cret-value")
BODY = b'{"event": "updated", "resource": "customers", "data": {"Id": "C-1"}}'


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


def test_path_secret():
    verify = token_verifier(SECRET)
    assert verify(Delivery(BODY, token="s3cret-value"))
    assert not verify(Delivery(BODY, token="s3cret-valuf"))
    assert not verify(Delivery(BODY, token=""))
    assert not verify(Delivery(BODY))


def test_basic_credentials():
    verify = basic_verifier("tether", SECRET)
    assert verify(Delivery(BODY, _basic("tether", "s3cret-value")))
    assert not verify(Delivery(BODY, _basic("tether", "wrong")))
    assert not verify(Delivery(BODY, _basic("someone", "s3cret-value")))
    assert not verify(Delivery(BODY))  # missing
    assert not verify(Delivery(BODY, {"authorization": "Basic !!not-base64"}))
    assert not verify(Delivery(BODY, {"authorization": "Bearer s3cret-value"}))


def test_hmac_signature_over_the_exact_body():
    verify = hmac_verifier(SECRET)
    good = {"x-tether-signature": sign(BODY, "s3cret-value")}
    assert verify(Delivery(BODY, good))
    assert verify(Delivery(BODY, good))  # a replay verifies: it is harmless
    assert not verify(Delivery(BODY + b" ", good))  # body changed
    assert not verify(Delivery(BODY, {"x-tether-signature": sign(BODY, "other")}))
    assert not verify(Delivery(BODY))  # missing
    digest = sign(BODY, "s3cret-value").removeprefix("sha256=")
    assert not verify(Delivery(BODY, {"x-tether-signature": digest}))  # no scheme


def test_push_is_off_without_a_secret():
    assert webcrm_spec(WebcrmWebhookSettings()) is None
    assert chargebee_spec(ChargebeeWebhookSettings()) is None
    assert customcrm_spec(CustomcrmWebhookSettings()) is None
    assert webcrm_spec(WebcrmWebhookSettings(secret=SECRET)) is not None


def test_secrets_stay_out_of_reprs():
    settings = ChargebeeWebhookSettings(password=SECRET)
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in repr(WebcrmWebhookSettings(secret=SECRET))
    assert hook_target("https://t.example/", SECRET).endswith(
        "/hooks/webcrm/s3cret-value"
    )


def test_webcrm_payload():
    spec = webcrm_spec(WebcrmWebhookSettings(secret=SECRET))
    assert spec is not None
    assert spec.path_token
    body = b'{"EventType": "Delete", "EntityType": "Products", "EntityId": 7}'
    (note,) = spec.parse(Delivery(body))
    assert (note.entity, note.record_id, note.deleted, note.row) == (
        "Products",
        "7",
        True,
        None,
    )
    for junk in (
        b"not json",
        b"[]",
        b'{"EventType": "Boom", "EntityType": "Products", "EntityId": 7}',
        b'{"EventType": "Update", "EntityType": "Invoices", "EntityId": 7}',
        b'{"EventType": "Update", "EntityType": "Products", "EntityId": true}',
        b'{"EventType": "Update", "EntityType": "Products"}',
    ):
        with pytest.raises(WebhookRefusedError):
            spec.parse(Delivery(junk))


def test_chargebee_event():
    spec = chargebee_spec(ChargebeeWebhookSettings(password=SECRET))
    assert spec is not None
    body = b'{"event_type": "item_deleted", "content": {"item": {"id": "silver"}}}'
    (note,) = spec.parse(Delivery(body))
    assert (note.entity, note.record_id, note.deleted) == ("Item", "silver", True)
    changed = (
        b'{"event_type": "customer_changed", "content": {"customer": {"id": "c"}}}'
    )
    assert spec.parse(Delivery(changed))[0].entity == "Customer"
    other = b'{"event_type": "invoice_generated", "content": {"invoice": {"id": "1"}}}'
    assert spec.parse(Delivery(other)) == []  # nothing tether syncs
    with pytest.raises(WebhookRefusedError):
        spec.parse(Delivery(b'{"event_type": "item_created", "content": {}}'))


def test_custom_payload():
    spec = customcrm_spec(CustomcrmWebhookSettings(secret=SECRET))
    assert spec is not None
    (note,) = spec.parse(Delivery(BODY))
    assert (note.entity, note.record_id, note.deleted) == ("Customer", "C-1", False)
    for junk in (
        b'{"event": "exploded", "resource": "customers", "data": {"Id": "C-1"}}',
        b'{"event": "updated", "resource": "nope", "data": {"Id": "C-1"}}',
        b'{"event": "updated", "resource": "customers", "data": "C-1"}',
        b'{"event": "updated", "resource": "customers", "data": {}}',
    ):
        with pytest.raises(WebhookRefusedError):
            spec.parse(Delivery(junk))
