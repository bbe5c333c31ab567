"""A local stand-in of Chargebee's API v2 (``https://{site}.chargebee.com/api/v2``).

What it imitates (systems.md 2, 9.1): HTTP Basic with the API key as user name and
an empty password; form-encoded POST bodies in the SDK's bracket notation;
responses wrapped under the resource name; ``limit``/``offset`` lists with
``attr[op]`` filters, ``sort_by`` and ``include_deleted``; Unix-second times and
millisecond ``resource_version``; client-chosen item ids; soft deletes; the
``chargebee-idempotency-key`` header; orders that need an invoice; business
entities that the API can neither create, update, list nor retrieve, seen only
as ``business_entity_*`` events; Chargebee's error body; and a 150 requests per
minute limit per API key (a test site's) answered with 429 and ``Retry-After``.

Business entities exist because the site was set up in the UI: seed them through
the handle (``seed("business_entities", ...)``) and change them with ``edit``
(``{"deleted": True}`` deletes one); each emits the matching event.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from standins._http import JsonResponse
from standins.base import StandIn
from standins.chargebee.errors import api_error, error_body, not_found, wrong_value
from standins.chargebee.fields import seeded, stamp
from standins.chargebee.form import FormError, parse_params
from standins.chargebee.routes import chargebee_routes
from standins.faults import FaultConfig
from standins.store import Record
from standins.webhooks import Outgoing

DEFAULT_API_KEY = "test_standin_chargebee_key"
DEFAULT_ITEM_FAMILIES = ("webshop-products",)
IDEMPOTENCY_HEADER = "chargebee-idempotency-key"
# Resource table -> the name its JSON is wrapped in (and its events start with).
NAMES: dict[str, str] = {
    "items": "item",
    "item_families": "item_family",
    "orders": "order",
    "invoices": "invoice",
    "customers": "customer",
    "business_entities": "business_entity",
    "events": "event",
}
# Chargebee's own event names where they are not "<resource>_created/_updated".
_CREATED = {"invoices": "invoice_generated"}
_CHANGED = {"customers": "customer_changed"}


class ChargebeeStandIn(StandIn):
    """Chargebee on 127.0.0.1; the API lives under ``/api/v2``."""

    system: ClassVar[str] = "chargebee"
    resources: ClassVar[tuple[str, ...]] = (
        "items",
        "item_families",
        "orders",
        "invoices",
        "customers",
        "business_entities",
    )
    default_faults: ClassVar[FaultConfig] = FaultConfig(
        rate_limit=150, rate_window_s=60
    )

    def __init__(
        self,
        *,
        port: int = 0,
        faults: FaultConfig | None = None,
        api_key: str = DEFAULT_API_KEY,
        item_families: tuple[str, ...] = DEFAULT_ITEM_FAMILIES,
    ) -> None:
        self.api_key = api_key
        self.webhook: tuple[str, str, str] | None = None
        self.item_families = item_families
        # (path, idempotency key) -> the answer first given.
        self.idempotency: dict[tuple[str, str], tuple[int, Any]] = {}
        super().__init__(port=port, faults=faults)
        self.reset_state()

    @classmethod
    def all_resources(cls) -> tuple[str, ...]:
        return (*cls.resources, "events")

    # -- auth, errors, knobs ----------------------------------------------------------

    def require_key(self, request: Request) -> None:
        """Basic auth with the API key as user name and no password, else 401."""
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        user, colon, password = decoded.partition(":")
        if scheme.lower() != "basic" or not colon or password or user != self.api_key:
            message = "Sorry, authentication failed. Invalid api key"
            headers = {"WWW-Authenticate": 'Basic realm="chargebee"'}
            raise api_error(401, message, "api_authentication_failed", None, headers)

    def error_body(self, status: int, message: str) -> Any:
        if status == 404:
            # Unknown paths, e.g. GET /business_entities: the API has no such call.
            message = "Sorry, we couldn't find that resource"
        return error_body(status, message)

    def throttled_response(self, retry_after: int) -> Response:
        message = (
            "Sorry, access has been blocked temporarily due to request count "
            "exceeding acceptable limits. Please try after some time."
        )
        return JsonResponse(
            error_body(429, message),
            status_code=429,
            headers={"Retry-After": str(retry_after)},
        )

    def credentials(self) -> dict[str, str]:
        return {"api_key": self.api_key}

    def connector_env(self) -> dict[str, str]:
        return {
            "CHARGEBEE_BASE_URL": f"{self.url}/api/v2",
            "CHARGEBEE_API_KEY": self.api_key,
        }

    def reset_state(self) -> None:
        self.idempotency.clear()
        # Item families are part of the site's setup, not of its data.
        for family in self.item_families:
            if not self.store.has("item_families", family):
                record = {"id": family, "name": family, "status": "active"}
                self.store.put(
                    "item_families",
                    family,
                    seeded("item_families", record, self.store.tick, NAMES),
                )

    def api_routes(self) -> list[Any]:
        return chargebee_routes(self)

    # -- webhooks -----------------------------------------------------------------

    def webhook_to(
        self, url: str | None, username: str = "", password: str = ""
    ) -> None:
        """Send every event to ``url`` with HTTP Basic credentials (None: stop).

        Chargebee lets a site configure webhook endpoints protected by a user
        name and password; each event is POSTed as JSON.
        """
        self.webhook = (url, username, password) if url else None

    def enable_push(self, receiver_url: str, secret: str) -> dict[str, str]:
        self.webhook_to(f"{receiver_url}/hooks/chargebee", "tether", secret)
        return {
            "CHARGEBEE_WEBHOOK_USERNAME": "tether",
            "CHARGEBEE_WEBHOOK_PASSWORD": secret,
        }

    def webhook_calls(
        self, resource: str, key: Any, record: Any, kind: str
    ) -> list[Outgoing]:
        if resource != "events" or kind != "created" or self.webhook is None:
            return []
        url, username, password = self.webhook
        sent = dict(record) | {"webhook_status": "scheduled"}
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        headers = {"authorization": f"Basic {token}"}
        return [Outgoing(url, json.dumps(sent).encode(), headers)]

    # -- request helpers (used by the routes) ---------------------------------------

    async def form(self, request: Request) -> dict[str, Any]:
        """The POST body's parameters, nested as the SDK flattened them."""
        raw = await request.body()
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if raw.strip() and kind != "application/x-www-form-urlencoded":
            message = "Content-Type must be application/x-www-form-urlencoded"
            raise api_error(400, message, "invalid_request")
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
            return parse_params(pairs)
        except (FormError, UnicodeDecodeError) as exc:
            raise wrong_value(str(exc), getattr(exc, "param", None)) from None

    async def post(
        self,
        request: Request,
        wrapper: str,
        action: Callable[[dict[str, Any], dict[str, str]], Record],
    ) -> Response:
        """Run a write under the store lock; a repeated idempotency key replays."""
        self.require_key(request)
        raw = await self.form(request)
        key = request.headers.get(IDEMPOTENCY_HEADER)
        slot = (request.url.path, key) if key else None
        with self.store.lock:
            if slot is not None and slot in self.idempotency:
                status, body = self.idempotency[slot]
                headers = {"chargebee-idempotency-replayed": "true"}
                return JsonResponse(body, status_code=status, headers=headers)
            record = action(raw, dict(request.path_params))
            self.store.log_write(
                "POST", request.url.path, _table(wrapper), record["id"]
            )
            body = {wrapper: record}
            if slot is not None:
                self.idempotency[slot] = (200, body)
        return JsonResponse(body)

    def require_family(self, family: str) -> None:
        """404 unless the item family exists (it is made in the UI or the API)."""
        record = self.store.get("item_families", family)
        if not isinstance(record, dict) or record.get("deleted") is True:
            msg = "item_family"
            raise not_found(msg, family, "item_family_id")

    def save(
        self, resource: str, key: str, record: Record, event_type: str, source: str
    ) -> Record:
        """Store a written record and its event; returns the record."""
        self.store.put(resource, key, record)
        self.emit(event_type, resource, record, source)
        return record

    def emit(self, event_type: str, resource: str, record: Record, source: str) -> None:
        """Add an event whose content is ``record`` as it is now."""
        number = self.store.next_id("events", start=1)
        occurred = record.get("updated_at")
        if not isinstance(occurred, int) or isinstance(occurred, bool):
            occurred = stamp(self.store.tick())["updated_at"]
        event = {
            "id": f"ev_standin_{number}",
            "occurred_at": occurred,
            "source": source,
            "user": "standin@example.com" if source == "admin_console" else None,
            "object": "event",
            "api_version": "v2",
            "webhook_status": "not_configured",
            "event_type": event_type,
            "content": {NAMES[resource]: record},
        }
        self.store.put(
            "events", event["id"], {k: v for k, v in event.items() if v is not None}
        )

    # -- the handle -------------------------------------------------------------------

    def id_of(self, resource: str, record: Any) -> Any:
        return record.get("id") if isinstance(record, dict) else None

    def parse_id(self, resource: str, text: str) -> Any:
        return text

    def time_field(self, resource: str) -> str:
        return "occurred_at" if resource == "events" else "updated_at"

    def accept_seed(self, resource: str, record: Record) -> tuple[Any, Record]:
        if resource == "events":
            msg = "events are not seeded: they follow from seeds, edits and writes"
            raise ValueError(msg)
        key = record.get("id")
        if not isinstance(key, str) or not key:
            msg = f"{resource} seed record needs a string id"
            raise ValueError(msg)
        if resource == "items" and not {"name", "type", "item_family_id"} <= set(
            record
        ):
            msg = "items seed record needs name, type and item_family_id"
            raise ValueError(msg)
        full = seeded(resource, record, self.store.tick, NAMES)
        if resource != "item_families":
            event = _CREATED.get(resource, f"{NAMES[resource]}_created")
            self.emit(event, resource, full, "admin_console")
        return key, full

    def apply_edit(self, resource: str, record: Record, changes: Record) -> Record:
        edited = record | changes | stamp(self.store.tick())
        kind = NAMES[resource]
        if changes.get("deleted") is True and record.get("deleted") is not True:
            event = f"{kind}_deleted"
            if resource == "items":
                edited["status"] = "deleted"
        else:
            event = _CHANGED.get(resource, f"{kind}_updated")
        if resource != "item_families":
            self.emit(event, resource, edited, "admin_console")
        return edited


def _table(wrapper: str) -> str:
    for table, name in NAMES.items():
        if name == wrapper:
            return table
    msg = f"unknown Chargebee resource {wrapper!r}"
    raise KeyError(msg)
