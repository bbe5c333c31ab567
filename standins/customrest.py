"""The generic "custom" REST contract (systems.md 9.6): Customcrm, later Customwebshop.

A subclass only declares its resource table. The contract:

- ``Authorization: Bearer <key>`` or 401 ``{"error": "unauthorized"}``;
- ``GET /{res}?updated_since=&page=&page_size=`` answers
  ``{"data": [...], "next_page": n|null}``; ``updated_since`` is inclusive,
  ordered by ``UpdatedAt`` then ``Id``, soft-deleted records included; any
  other query parameter is an equality filter on a top-level field;
- ``GET /{res}/{Id}``; ``POST /{res}`` -> 201 with the object (``Idempotency-Key``
  replays answer 200 with the original object and create nothing);
- ``PUT /{res}/{Id}`` merges the given fields (our contract's choice: a partial
  update, so a sink never wipes fields it does not map);
- ``DELETE /{res}/{Id}`` -> soft delete (``Deleted: true``), 204.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._customrest_fields import (
    READ_ONLY,
    Problems,
    ResourceSpec,
    check_body,
    format_time,
    matches,
)
from standins._http import ApiError, BodyError, JsonResponse, read_json
from standins.base import StandIn
from standins.faults import FaultConfig
from standins.store import Record, order_key, parse_iso

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
_PAGING = ("updated_since", "page", "page_size")
_CODES = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}


def _bad(detail: str) -> ApiError:
    return ApiError(400, {"error": "bad_request", "detail": detail})


def _raise_problems(problems: Problems) -> None:
    if problems.bad_request:
        raise _bad("; ".join(problems.bad_request))
    if problems.invalid:
        raise ApiError(422, {"error": "validation", "detail": problems.invalid})


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
        super().__init__(port=port, faults=faults)

    # -- system specifics ---------------------------------------------------------

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
        given = {k: record.pop(k) for k in READ_ONLY if k in record}
        clean, problems = check_body(spec, record, creating=True)
        if problems.bad_request or problems.invalid:
            msg = f"{resource} seed record is invalid: {problems}"
            raise ValueError(msg)
        key = given.get("Id") or self._new_id(spec)
        number = str(key).removeprefix(spec.id_prefix)
        if number.isdigit():
            self.store.reserve_id(resource, int(number))
        when = parse_iso(given.get("UpdatedAt"))
        stamp = format_time(when) if when else format_time(self.store.tick())
        deleted = bool(given.get("Deleted", False))
        return key, self._layout(spec, spec.blank() | clean, key, stamp, deleted)

    def apply_edit(self, resource: str, record: Record, changes: Record) -> Record:
        return record | changes | {"UpdatedAt": format_time(self.store.tick())}

    # -- helpers --------------------------------------------------------------------

    def _new_id(self, spec: ResourceSpec) -> str:
        return f"{spec.id_prefix}{self.store.next_id(spec.name, start=spec.first_id)}"

    @staticmethod
    def _layout(
        spec: ResourceSpec, fields: Record, key: str, stamp: str, deleted: bool
    ) -> Record:
        full = fields | {"Id": key, "UpdatedAt": stamp, "Deleted": deleted}
        return {name: full.get(name) for name in spec.layout()}

    def _require_key(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.api_key:
            raise ApiError(
                401, {"error": "unauthorized"}, {"WWW-Authenticate": "Bearer"}
            )

    # -- routes ---------------------------------------------------------------------

    def api_routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = []
        for name, spec in self.specs.items():
            routes += [
                Route(f"/{name}", self._handler(spec, self._list), methods=["GET"]),
                Route(f"/{name}", self._handler(spec, self._create), methods=["POST"]),
                Route(
                    f"/{name}/{{id}}", self._handler(spec, self._one), methods=["GET"]
                ),
                Route(
                    f"/{name}/{{id}}", self._handler(spec, self._put), methods=["PUT"]
                ),
                Route(
                    f"/{name}/{{id}}",
                    self._handler(spec, self._delete),
                    methods=["DELETE"],
                ),
            ]
        return routes

    def _handler(self, spec: ResourceSpec, method: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            self._require_key(request)
            result: Response = await method(spec, request)
            return result

        return endpoint

    async def _body(self, request: Request) -> Any:
        try:
            return await read_json(request)
        except BodyError as exc:
            raise _bad(str(exc)) from None

    async def _list(self, spec: ResourceSpec, request: Request) -> Response:
        params = request.query_params
        page, size = (
            _int(params, "page", 1),
            _int(params, "page_size", DEFAULT_PAGE_SIZE),
        )
        if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
            msg = f"page must be >= 1 and page_size between 1 and {MAX_PAGE_SIZE}"
            raise _bad(msg)
        since = None
        if "updated_since" in params:
            since = parse_iso(params["updated_since"])
            if since is None:
                msg = "updated_since must be an ISO-8601 date-time"
                raise _bad(msg)
        filters = [(k, v) for k, v in params.multi_items() if k not in _PAGING]
        known = set(spec.layout())
        unknown = sorted({k for k, _ in filters} - known)
        if unknown:
            msg = f"cannot filter on unknown field(s): {', '.join(unknown)}"
            raise _bad(msg)
        rows = []
        for key, entry in self.store.entries(spec.name):
            when = self.feed_time(spec.name, entry.record, entry.stamp)
            if since is not None and when < since:
                continue
            record = entry.record
            if filters and not (
                isinstance(record, dict)
                and all(matches(record.get(k), v) for k, v in filters)
            ):
                continue
            rows.append((when, key, record))
        rows.sort(key=lambda row: order_key(row[:2]))
        chunk = rows[(page - 1) * size : page * size]
        next_page = page + 1 if len(rows) > page * size else None
        return JsonResponse({"data": [r for _, _, r in chunk], "next_page": next_page})

    async def _one(self, spec: ResourceSpec, request: Request) -> Response:
        record = self.store.get(spec.name, request.path_params["id"])
        if record is None:
            raise ApiError(404, {"error": "not_found"})
        return JsonResponse(record)

    async def _create(self, spec: ResourceSpec, request: Request) -> Response:
        idem = request.headers.get("idempotency-key")
        with self.store.lock:
            replay = self.idempotency.get((spec.name, idem)) if idem else None
            if replay is not None:
                original = self.store.get(spec.name, replay)
                if original is not None:
                    return JsonResponse(original, status_code=200)
        clean, problems = check_body(spec, await self._body(request), creating=True)
        _raise_problems(problems)
        with self.store.lock:
            # A concurrent request with the same key may have won meanwhile.
            replay = self.idempotency.get((spec.name, idem)) if idem else None
            if replay is not None and self.store.has(spec.name, replay):
                return JsonResponse(self.store.get(spec.name, replay), status_code=200)
            key = self._new_id(spec)
            stamp = format_time(self.store.tick())
            record = self._layout(spec, spec.blank() | clean, key, stamp, False)
            self.store.put(spec.name, key, record)
            if idem:
                self.idempotency[(spec.name, idem)] = key
            self.store.log_write("POST", request.url.path, spec.name, key)
        return JsonResponse(record, status_code=201)

    async def _put(self, spec: ResourceSpec, request: Request) -> Response:
        key = request.path_params["id"]
        clean, problems = check_body(spec, await self._body(request), creating=False)
        with self.store.lock:
            current = self._live(spec, key)
            _raise_problems(problems)
            stamp = format_time(self.store.tick())
            record = current | clean | {"UpdatedAt": stamp}
            self.store.put(spec.name, key, record)
            self.store.log_write("PUT", request.url.path, spec.name, key)
        return JsonResponse(record)

    async def _delete(self, spec: ResourceSpec, request: Request) -> Response:
        key = request.path_params["id"]
        with self.store.lock:
            current = self._live(spec, key)
            stamp = format_time(self.store.tick())
            self.store.put(
                spec.name, key, current | {"Deleted": True, "UpdatedAt": stamp}
            )
            self.store.log_write("DELETE", request.url.path, spec.name, key)
        return Response(status_code=204)

    def _live(self, spec: ResourceSpec, key: str) -> Record:
        """The stored, not soft-deleted record (hold the lock), else 404."""
        record = self.store.get(spec.name, key)
        if not isinstance(record, dict) or record.get("Deleted") is True:
            raise ApiError(404, {"error": "not_found"})
        return record


def _int(params: Any, name: str, default: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        msg = f"{name} must be an integer"
        raise _bad(msg) from None
