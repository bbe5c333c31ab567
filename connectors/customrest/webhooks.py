"""Our REST contract's webhooks: ``{event, resource, data}``, signed with HMAC-SHA256.

The sender POSTs ``{"event": "created"|"updated"|"deleted", "resource":
"<collection path>", "data": {<record>}}`` with the header
``X-Tether-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the
shared secret>`` (``{SYSTEM}_WEBHOOK_SECRET``). A replayed body is harmless: it
carries a state tether has seen.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import SecretStr

from connectors.base.entity import EntitySpec
from connectors.base.webhooks import (
    Delivery,
    Notification,
    WebhookRefusedError,
    WebhookSpec,
    entity_named,
    hmac_verifier,
    record_id_text,
)

EVENTS = ("created", "updated", "deleted")


def rest_webhook_spec(
    system: str, specs: Sequence[EntitySpec], secret: SecretStr | None
) -> WebhookSpec | None:
    """A custom system's push, or ``None`` when no secret is configured."""
    if secret is None or not secret.get_secret_value():
        return None
    names = {spec.path: spec.name for spec in specs}

    def parse(delivery: Delivery) -> list[Notification]:
        body = delivery.json()
        if not isinstance(body, dict) or body.get("event") not in EVENTS:
            msg = f"a {system} webhook is {{event: {'|'.join(EVENTS)}, resource, data}}"
            raise WebhookRefusedError(msg)
        entity = entity_named(names, body.get("resource"), system)
        data = body.get("data")
        if not isinstance(data, dict):
            msg = f"a {system} webhook's data is the record (a JSON object)"
            raise WebhookRefusedError(msg)
        record_id = record_id_text(data.get("Id"))
        return [Notification(entity, record_id, body["event"] == "deleted", data)]

    return WebhookSpec(system, hmac_verifier(secret), parse)
