"""The generic "custom" REST contract (systems.md 9.6) of Customcrm and Customwebshop.

A subclass only declares its resource table. The contract:

- ``Authorization: Bearer <key>`` or 401 ``{"error": "unauthorized"}``;
- ``GET /{res}?updated_since=&page=&page_size=`` answers
  ``{"data": [...], "next_page": n|null}``; ``updated_since`` is inclusive,
  ordered by ``UpdatedAt`` then ``Id``, soft-deleted records included; any
  other query parameter is an equality filter on a top-level field;
- ``GET /{res}/{Id}``; ``POST /{res}`` -> 201 with the object (``Idempotency-Key``
  replays answer 200 with the original object and create nothing);
- ``PUT /{res}/{Id}`` merges the given fields (our contract's choice: a partial
  update, so a sink never wipes fields it does not map); ``Id``, ``UpdatedAt`` and
  ``Deleted`` may come back unchanged (GET, change, PUT back), changed they are 400;
- ``DELETE /{res}/{Id}`` -> soft delete (``Deleted: true``), 204.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from standins._http import ApiError, JsonResponse
from standins.base import StandIn
from standins.customrest.fields import READ_ONLY, ResourceSpec, check_body, format_time
from standins.customrest.routes import resource_routes
from standins.faults import FaultConfig
from standins.store import Record
from standins.webhooks import Outgoing

_CODES = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}


class CustomRestStandIn(StandIn):
    """A stand-in serving the custom REST contract for ``specs``."""

    specs: ClassVar[dict[str, ResourceSpec]]
    default_api_key: ClassVar[str]
    default_faults: ClassVar[FaultConfig] = FaultConfig()
    clock_precision: ClassVar[timedelta] = timedelta(milliseconds=1)

    def __init__(
        self,
        *,
        port: int = 0,
        faults: FaultConfig | None = None,
        api_key: str | None = None,
    ) -> None:
        self.api_key = api_key or self.default_api_key
        # (resource, Idempotency-Key) -> the Id it created.
        self.idempotency: dict[tuple[str, str], str] = {}
        self.webhook: tuple[str, str] | None = None
        super().__init__(port=port, faults=faults)

    # -- system specifics ---------------------------------------------------------

    def webhook_to(self, url: str | None, secret: str = "") -> None:
        """POST ``{event, resource, data}`` to ``url`` on each change (None: stop).

        Signed: ``X-Tether-Signature: sha256=<hex HMAC-SHA256 of the body>``
        keyed with ``secret``; a soft delete is a ``deleted`` event.
        """
        self.webhook = (url, secret) if url else None

    def enable_push(self, receiver_url: str, secret: str) -> dict[str, str]:
        self.webhook_to(f"{receiver_url}/hooks/{self.system}", secret)
        return {f"{self.system.upper()}_WEBHOOK_SECRET": secret}

    def webhook_calls(
        self, resource: str, key: Any, record: Any, kind: str
    ) -> list[Outgoing]:
        if self.webhook is None:
            return []
        url, secret = self.webhook
        if isinstance(record, dict) and record.get("Deleted") is True:
            kind = "deleted"
        body = json.dumps({"event": kind, "resource": resource, "data": record})
        raw = body.encode()
        digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        return [Outgoing(url, raw, {"x-tether-signature": f"sha256={digest}"})]

    def api_routes(self) -> list[BaseRoute]:
        return resource_routes(self)

    def error_body(self, status: int, message: str) -> Any:
        if status in (401, 404):
            return {"error": _CODES[status]}
        code = _CODES.get(status, "unavailable" if status >= 500 else "error")
        return {"error": code, "detail": message}

    def throttled_response(self, retry_after: int) -> Response:
        body = {"error": "rate_limited", "retry_after": retry_after}
        headers = {"Retry-After": str(retry_after)}
        return JsonResponse(body, status_code=429, headers=headers)

    def credentials(self) -> dict[str, str]:
        return {"api_key": self.api_key}

    def connector_env(self) -> dict[str, str]:
        # CUSTOMCRM_*, CUSTOMWEBSHOP_*: the connector's env prefix is the system id.
        prefix = self.system.upper()
        return {f"{prefix}_BASE_URL": self.url, f"{prefix}_API_KEY": self.api_key}

    def reset_state(self) -> None:
        self.idempotency.clear()

    def id_of(self, resource: str, record: Any) -> Any:
        return record.get("Id") if isinstance(record, dict) else None

    def parse_id(self, resource: str, text: str) -> Any:
        return text

    def time_field(self, resource: str) -> str:
        return "UpdatedAt"

    def accept_seed(self, resource: str, record: Record) -> tuple[Any, Record]:
        spec = self.specs[resource]
        if spec.check is not None:
            try:
                record = spec.check(record)
            except ApiError as exc:
                msg = f"{resource} seed record is invalid: {exc.body}"
                raise ValueError(msg) from None
        given = {k: record.pop(k) for k in READ_ONLY if k in record}
        clean, problems = check_body(spec, record, creating=True)
        if problems.bad_request or problems.invalid:
            msg = f"{resource} seed record is invalid: {problems}"
            raise ValueError(msg)
        key = given.get("Id") or self.new_id(spec)
        self.store.reserve_id(resource, key, spec.id_prefix)
        stamp = self.seed_time(given.get("UpdatedAt"), format_time)
        deleted = bool(given.get("Deleted", False))
        return key, self.layout(spec, spec.blank() | clean, key, stamp, deleted)

    def apply_edit(self, resource: str, record: Record, changes: Record) -> Record:
        return record | changes | {"UpdatedAt": format_time(self.store.tick())}

    # -- helpers for the routes ---------------------------------------------------

    def require_key(self, request: Request) -> None:
        """``Authorization: Bearer <api key>``, else 401."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.api_key:
            raise ApiError(
                401, {"error": "unauthorized"}, {"WWW-Authenticate": "Bearer"}
            )

    def new_id(self, spec: ResourceSpec) -> str:
        """The next server-assigned ``Id`` of ``spec``'s resource (``C-1001``...)."""
        return f"{spec.id_prefix}{self.store.next_id(spec.name, start=spec.first_id)}"

    @staticmethod
    def layout(
        spec: ResourceSpec, fields: Record, key: str, stamp: str, deleted: bool
    ) -> Record:
        """A full record: every field of ``spec`` in display order."""
        full = fields | {"Id": key, "UpdatedAt": stamp, "Deleted": deleted}
        return {name: full.get(name) for name in spec.layout()}
