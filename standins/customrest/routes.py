"""The custom REST routes, five per resource: list, get, create, put, delete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import (
    ApiError,
    JsonResponse,
    guarded,
    int_param,
    json_body,
)
from standins.customrest.fields import (
    Problems,
    ResourceSpec,
    changed_read_only,
    check_body,
    format_time,
    matches,
)
from standins.store import Record, order_key, parse_iso

if TYPE_CHECKING:
    from standins.customrest.app import CustomRestStandIn

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
_PAGING = ("updated_since", "page", "page_size")
_NOT_FOUND = {"error": "not_found"}

Handler = Callable[["CustomRestStandIn", ResourceSpec, Request], Awaitable[Response]]


def bad_request(detail: str) -> ApiError:
    """400 in the contract's shape."""
    return ApiError(400, {"error": "bad_request", "detail": detail})


def _not_an_integer(name: str, text: str) -> ApiError:
    return bad_request(f"{name} must be an integer")


def _raise_problems(problems: Problems) -> None:
    if problems.bad_request:
        raise bad_request("; ".join(problems.bad_request))
    if problems.invalid:
        raise ApiError(422, {"error": "validation", "detail": problems.invalid})


def resource_routes(sim: CustomRestStandIn) -> list[BaseRoute]:
    """Every resource's routes, each behind the API key."""

    table: list[tuple[str, Handler, str]] = [
        ("", _list, "GET"),
        ("", _create, "POST"),
        ("/{id}", _one, "GET"),
        ("/{id}", _put, "PUT"),
        ("/{id}", _delete, "DELETE"),
    ]
    return [
        Route(
            f"/{name}{suffix}",
            guarded(sim.require_key, partial(handler, sim, spec)),
            methods=[method],
        )
        for name, spec in sim.specs.items()
        for suffix, handler, method in table
    ]


async def _body(spec: ResourceSpec, request: Request) -> Any:
    body = await json_body(request, bad_request)
    # The contract checks top-level types only; a system's own checks (an
    # order's lines, date and status) come first.
    return body if spec.check is None else spec.check(body)


async def _list(
    sim: CustomRestStandIn, spec: ResourceSpec, request: Request
) -> Response:
    params = request.query_params
    page = int_param(params, "page", 1, _not_an_integer)
    size = int_param(params, "page_size", DEFAULT_PAGE_SIZE, _not_an_integer)
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        msg = f"page must be >= 1 and page_size between 1 and {MAX_PAGE_SIZE}"
        raise bad_request(msg)
    since = None
    if "updated_since" in params:
        since = parse_iso(params["updated_since"])
        if since is None:
            msg = "updated_since must be an ISO-8601 date-time"
            raise bad_request(msg)
    filters = [(k, v) for k, v in params.multi_items() if k not in _PAGING]
    unknown = sorted({k for k, _ in filters} - set(spec.layout()))
    if unknown:
        msg = f"cannot filter on unknown field(s): {', '.join(unknown)}"
        raise bad_request(msg)
    rows = []
    for key, entry in sim.store.entries(spec.name):
        when = sim.feed_time(spec.name, entry.record, entry.stamp)
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


async def _one(
    sim: CustomRestStandIn, spec: ResourceSpec, request: Request
) -> Response:
    record = sim.store.get(spec.name, request.path_params["id"])
    if record is None:
        raise ApiError(404, _NOT_FOUND)
    return JsonResponse(record)


async def _create(
    sim: CustomRestStandIn, spec: ResourceSpec, request: Request
) -> Response:
    store = sim.store
    idem = request.headers.get("idempotency-key")
    with store.lock:
        replay = sim.idempotency.get((spec.name, idem)) if idem else None
        if replay is not None:
            original = store.get(spec.name, replay)
            if original is not None:
                return JsonResponse(original, status_code=200)
    clean, problems = check_body(spec, await _body(spec, request), creating=True)
    _raise_problems(problems)
    with store.lock:
        # A concurrent request with the same key may have won meanwhile.
        replay = sim.idempotency.get((spec.name, idem)) if idem else None
        if replay is not None and store.has(spec.name, replay):
            return JsonResponse(store.get(spec.name, replay), status_code=200)
        key = sim.new_id(spec)
        stamp = format_time(store.tick())
        record = sim.layout(spec, spec.blank() | clean, key, stamp, False)
        store.put(spec.name, key, record)
        if idem:
            sim.idempotency[(spec.name, idem)] = key
        store.log_write("POST", request.url.path, spec.name, key)
    return JsonResponse(record, status_code=201)


async def _put(
    sim: CustomRestStandIn, spec: ResourceSpec, request: Request
) -> Response:
    key = request.path_params["id"]
    body = await _body(spec, request)
    clean, problems = check_body(spec, body, creating=False)
    with sim.store.lock:
        current = _live(sim, spec, key)
        changed = changed_read_only(body, current)
        if changed:
            problems.bad_request.insert(0, f"read-only field(s): {', '.join(changed)}")
        _raise_problems(problems)
        stamp = format_time(sim.store.tick())
        record = current | clean | {"UpdatedAt": stamp}
        sim.store.put(spec.name, key, record)
        sim.store.log_write("PUT", request.url.path, spec.name, key)
    return JsonResponse(record)


async def _delete(
    sim: CustomRestStandIn, spec: ResourceSpec, request: Request
) -> Response:
    key = request.path_params["id"]
    with sim.store.lock:
        current = _live(sim, spec, key)
        stamp = format_time(sim.store.tick())
        sim.store.put(spec.name, key, current | {"Deleted": True, "UpdatedAt": stamp})
        sim.store.log_write("DELETE", request.url.path, spec.name, key)
    return Response(status_code=204)


def _live(sim: CustomRestStandIn, spec: ResourceSpec, key: str) -> Record:
    """The stored, not soft-deleted record (hold the lock), else 404."""
    record = sim.store.get(spec.name, key)
    if not isinstance(record, dict) or record.get("Deleted") is True:
        raise ApiError(404, _NOT_FOUND)
    return record
