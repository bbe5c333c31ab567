"""A local stand-in of the Crmoffice API (api.crmoffice.no), systems.md 6 and 9.5.

Known from public sources: OAuth2 bearer tokens from ``/connect/token`` (scopes
``crmoffice offline_access``) and ``GET /companies``, ``/contacts``,
``/activities``, ``/users`` answering ``{"items": [...]}`` with camelCase fields
and free-text countries. Everything else is an **[assumption]**, each behind a
knob so tests can take it away:

- ``supports_updated_since``: records carry ``updatedAt`` (UTC) and lists take
  ``?updatedSince=<ISO>`` (inclusive, ordered by ``updatedAt`` then ``id``);
  off, lists ignore it and records have no ``updatedAt``;
- ``supports_paging``: lists take ``page`` (1-based) and ``pageSize`` (default
  50, at most 500); off, they ignore both and answer everything;
- ``supports_writes``: ``POST /{res}`` (201, server id ``c-101``...) and
  ``PUT /{res}/{id}`` (a full replace) for companies, contacts and activities;
  off, 405. Users are read-only, and nothing can be deleted (405).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import JsonResponse, problem, read_json
from standins.base import StandIn
from standins.crmoffice.auth import OAuthServer
from standins.crmoffice.fields import RESOURCES, Resource, check, format_time
from standins.crmoffice.routes import crmoffice_routes
from standins.faults import FaultConfig
from standins.store import Record

DEFAULT_CLIENT_ID = "tether-standin"
DEFAULT_CLIENT_SECRET = "standin-crmoffice-client-secret"  # noqa: S105 - made-up, local


class CrmofficeStandIn(StandIn):
    """Crmoffice on 127.0.0.1: companies, contacts, activities, users."""

    system: ClassVar[str] = "crmoffice"
    resources: ClassVar[tuple[str, ...]] = tuple(RESOURCES)
    clock_precision: ClassVar[timedelta] = timedelta(milliseconds=1)

    def __init__(
        self,
        *,
        port: int = 0,
        faults: FaultConfig | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        token_ttl_s: float = 3600.0,
        rotate_refresh_tokens: bool = False,
    ) -> None:
        self.oauth = self.tokens = OAuthServer(
            client_id,
            client_secret,
            ttl_s=token_ttl_s,
            rotate_refresh_tokens=rotate_refresh_tokens,
        )
        self.supports_updated_since = True
        self.supports_paging = True
        self.supports_writes = True
        super().__init__(port=port, faults=faults)

    # -- system specifics ---------------------------------------------------------

    def error_body(self, status: int, message: str) -> Any:
        return problem(status, message)

    def rate_key(self, request: Request) -> str | None:
        return request.headers.get("authorization")

    def credentials(self) -> dict[str, str]:
        return {
            "client_id": self.oauth.client_id,
            "client_secret": self.oauth.client_secret,
        }

    def connector_env(self) -> dict[str, str]:
        return {
            "CRMOFFICE_BASE_URL": self.url,
            "CRMOFFICE_CLIENT_ID": self.oauth.client_id,
            "CRMOFFICE_CLIENT_SECRET": self.oauth.client_secret,
        }

    def reset_state(self) -> None:
        self.supports_updated_since = True
        self.supports_paging = True
        self.supports_writes = True

    def id_of(self, resource: str, record: Any) -> Any:
        return record.get("id") if isinstance(record, dict) else None

    def parse_id(self, resource: str, text: str) -> Any:
        return text

    def time_field(self, resource: str) -> str:
        return "updatedAt"

    def accept_seed(self, resource: str, record: Record) -> tuple[Any, Record]:
        spec = RESOURCES[resource]
        given_id, given_time = record.pop("id", None), record.pop("updatedAt", None)
        clean, errors = check(spec, record)
        if errors:
            msg = f"{resource} seed record is invalid: {errors}"
            raise ValueError(msg)
        key = given_id or self.new_id(spec)
        self.store.reserve_id(resource, key, spec.prefix)
        stamp = self.seed_time(given_time, format_time)
        return key, {"id": key} | spec.blank() | clean | {"updatedAt": stamp}

    def apply_edit(self, resource: str, record: Record, changes: Record) -> Record:
        return record | changes | {"updatedAt": format_time(self.store.tick())}

    def new_id(self, spec: Resource) -> str:
        """The next server-assigned id of ``spec``'s resource (``c-100``...)."""
        return f"{spec.prefix}{self.store.next_id(spec.name, spec.first)}"

    # -- routes -------------------------------------------------------------------

    def api_routes(self) -> list[BaseRoute]:
        return crmoffice_routes(self)

    def extra_admin_routes(self) -> list[BaseRoute]:
        """``/_admin/consent``, ``/_admin/assumptions``."""

        async def consent(request: Request) -> Response:
            return JsonResponse({"refresh_token": self.oauth.consent()})

        async def assumptions(request: Request) -> Response:
            names = ("supports_updated_since", "supports_paging", "supports_writes")
            if request.method == "PUT":
                changes = await read_json(request)
                if not isinstance(changes, dict) or not set(changes) <= set(names):
                    body = problem(400, f"expected an object with some of {names}")
                    return JsonResponse(body, status_code=400)
                for name, value in changes.items():
                    setattr(self, name, bool(value))
            return JsonResponse({name: getattr(self, name) for name in names})

        return [
            Route("/_admin/consent", consent, methods=["POST"]),
            Route("/_admin/assumptions", assumptions, methods=["GET", "PUT"]),
        ]

    def view(self, record: Any) -> Any:
        """A stored record as the API shows it (no ``updatedAt`` without tracking)."""
        if self.supports_updated_since or not isinstance(record, dict):
            return record
        return {k: v for k, v in record.items() if k != "updatedAt"}
