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

import base64
import binascii
from datetime import timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import ApiError, BodyError, JsonResponse, read_form, read_json
from standins.base import StandIn
from standins.crmoffice.auth import OAuthServer
from standins.crmoffice.fields import RESOURCES, Resource, check, format_time
from standins.faults import FaultConfig
from standins.store import Record, order_key, parse_iso

DEFAULT_CLIENT_ID = "tether-standin"
DEFAULT_CLIENT_SECRET = "standin-crmoffice-client-secret"  # noqa: S105 - made-up, local
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def problem(status: int, title: str, **extra: Any) -> dict[str, Any]:
    """An ASP.NET Core ProblemDetails body."""
    return {"title": title, "status": status, **extra}


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
        self.oauth = OAuthServer(
            client_id,
            client_secret,
            ttl_s=token_ttl_s,
            rotate_refresh_tokens=rotate_refresh_tokens,
        )
        self._default_ttl_s = token_ttl_s
        self.supports_updated_since = True
        self.supports_paging = True
        self.supports_writes = True
        super().__init__(port=port, faults=faults)

    # -- system specifics ---------------------------------------------------------

    def expire_tokens(self) -> None:
        """Expire every access token now: the next call answers 401."""
        self.oauth.expire_all()

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
        self.oauth.clear()
        self.oauth.ttl_s = self._default_ttl_s
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
        key = given_id or self._new_id(spec)
        number = str(key).removeprefix(spec.prefix)
        if number.isdigit():
            self.store.reserve_id(resource, int(number))
        when = parse_iso(given_time)
        stamp = format_time(when) if when else format_time(self.store.tick())
        return key, {"id": key} | spec.blank() | clean | {"updatedAt": stamp}

    def apply_edit(self, resource: str, record: Record, changes: Record) -> Record:
        return record | changes | {"updatedAt": format_time(self.store.tick())}

    def _new_id(self, spec: Resource) -> str:
        return f"{spec.prefix}{self.store.next_id(spec.name, spec.first)}"

    # -- routes -------------------------------------------------------------------

    def api_routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/connect/token", self._token, methods=["POST"])
        ]
        for spec in RESOURCES.values():
            routes += [
                Route(f"/{spec.path}", self._bind(self._list, spec), methods=["GET"]),
                Route(
                    f"/{spec.path}", self._bind(self._create, spec), methods=["POST"]
                ),
                Route(
                    f"/{spec.path}/{{id}}", self._bind(self._one, spec), methods=["GET"]
                ),
                Route(
                    f"/{spec.path}/{{id}}", self._bind(self._put, spec), methods=["PUT"]
                ),
            ]
        return routes

    def extra_admin_routes(self) -> list[BaseRoute]:
        """``/_admin/expire_tokens``, ``/_admin/consent``, ``/_admin/assumptions``."""

        async def expire(request: Request) -> Response:
            self.expire_tokens()
            return Response(status_code=204)

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
            Route("/_admin/expire_tokens", expire, methods=["POST"]),
            Route("/_admin/consent", consent, methods=["POST"]),
            Route("/_admin/assumptions", assumptions, methods=["GET", "PUT"]),
        ]

    def _bind(self, handler: Any, spec: Resource) -> Any:
        async def endpoint(request: Request) -> Response:
            self._require_bearer(request)
            result: Response = await handler(spec, request)
            return result

        return endpoint

    def _require_bearer(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.oauth.valid(token.strip()):
            headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            raise ApiError(401, None, headers)

    async def _token(self, request: Request) -> Response:
        form = await read_form(request)
        basic = None
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(encoded.strip()).decode(errors="replace")
            except binascii.Error:
                decoded = ""
            user, _, secret = decoded.partition(":")
            basic = (user, secret)
        status, body = self.oauth.token(form, basic)
        return JsonResponse(
            body, status_code=status, headers={"Cache-Control": "no-store"}
        )

    def _view(self, record: Any) -> Any:
        """A stored record as the API shows it (no ``updatedAt`` without tracking)."""
        if self.supports_updated_since or not isinstance(record, dict):
            return record
        return {k: v for k, v in record.items() if k != "updatedAt"}

    async def _list(self, spec: Resource, request: Request) -> Response:
        params = request.query_params
        since = None
        if self.supports_updated_since and "updatedSince" in params:
            since = parse_iso(params["updatedSince"].replace("Z", "+00:00"))
            if since is None:
                raise ApiError(
                    400, problem(400, "updatedSince must be an ISO 8601 date-time.")
                )
        rows = []
        for key, entry in self.store.entries(spec.name):
            when = self.feed_time(spec.name, entry.record, entry.stamp)
            if since is not None and when < since:
                continue
            rows.append((when, key, entry.record))
        rows.sort(key=lambda row: order_key(row[1:2] if since is None else row[:2]))
        items = [self._view(record) for _, _, record in rows]
        if self.supports_paging:
            page, size = (
                _int(params, "page", 1),
                _int(params, "pageSize", DEFAULT_PAGE_SIZE),
            )
            if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
                title = f"page must be >= 1 and pageSize between 1 and {MAX_PAGE_SIZE}."
                raise ApiError(400, problem(400, title))
            items = items[(page - 1) * size : page * size]
        return JsonResponse({"items": items})

    async def _one(self, spec: Resource, request: Request) -> Response:
        record = self.store.get(spec.name, request.path_params["id"])
        if record is None:
            raise ApiError(
                404,
                problem(404, f"{spec.path} {request.path_params['id']} was not found."),
            )
        return JsonResponse(self._view(record))

    def _writable(self, spec: Resource) -> None:
        if not (spec.writable and self.supports_writes):
            raise ApiError(405, problem(405, "Method Not Allowed"), {"Allow": "GET"})

    async def _body(self, spec: Resource, request: Request) -> Record:
        try:
            body = await read_json(request)
        except BodyError as exc:
            raise ApiError(400, problem(400, str(exc))) from None
        clean, errors = check(spec, body)
        if errors:
            title = "One or more validation errors occurred."
            raise ApiError(400, problem(400, title, errors=errors))
        return clean

    async def _create(self, spec: Resource, request: Request) -> Response:
        self._writable(spec)
        clean = await self._body(spec, request)
        with self.store.lock:
            key = self._new_id(spec)
            record = {"id": key} | spec.blank() | clean
            record["updatedAt"] = format_time(self.store.tick())
            self.store.put(spec.name, key, record)
            self.store.log_write("POST", request.url.path, spec.name, key)
        return JsonResponse(self._view(record), status_code=201)

    async def _put(self, spec: Resource, request: Request) -> Response:
        self._writable(spec)
        clean = await self._body(spec, request)
        key = request.path_params["id"]
        with self.store.lock:
            if not isinstance(self.store.get(spec.name, key), dict):
                raise ApiError(404, problem(404, f"{spec.path} {key} was not found."))
            # PUT replaces the record: fields left out become null.
            record = {"id": key} | spec.blank() | clean
            record["updatedAt"] = format_time(self.store.tick())
            self.store.put(spec.name, key, record)
            self.store.log_write("PUT", request.url.path, spec.name, key)
        return JsonResponse(self._view(record))


def _int(params: Any, name: str, default: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise ApiError(400, problem(400, f"{name} must be an integer.")) from None
