"""Webcrm entity endpoints: list, get, create, full-replace PUT, bulk PATCH, feeds."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import (
    ApiError,
    JsonResponse,
    int_param,
    json_body,
    query_value,
)
from standins.store import Record, order_key
from standins.webcrm.auth import auth_routes
from standins.webcrm.fields import (
    PREFIX,
    blank,
    format_time,
    message,
    parse_time,
    person_name,
    refused,
    validate,
)
from standins.webcrm.hooks import hook_routes
from standins.webcrm.query import QueryError, parse_script

if TYPE_CHECKING:
    from standins.webcrm.app import WebcrmStandIn

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50


def webcrm_routes(sim: WebcrmStandIn) -> list[BaseRoute]:
    """Login and refresh, webhooks, the feeds, and each entity's routes."""
    routes = auth_routes(sim.tokens) + hook_routes(sim, sim.resources)
    routes += feed_routes(sim)
    for entity in sim.resources:
        routes += entity_routes(sim, entity)
    return routes


def _not_valid(name: str, text: str) -> ApiError:
    return ApiError(400, message(f"The value '{text}' is not valid for {name}."))


def paging(request: Request) -> tuple[int, int]:
    """``Page`` (1-based) and ``Size`` (1..1000) from the query string."""
    params = request.query_params
    page = int_param(params, "Page", 1, _not_valid, any_case=True)
    size = int_param(params, "Size", DEFAULT_PAGE_SIZE, _not_valid, any_case=True)
    if page < 1:
        raise ApiError(400, message("Page must be 1 or greater."))
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(400, message(f"Size must be between 1 and {MAX_PAGE_SIZE}."))
    return page, size


def _page(items: list[Any], page: int, size: int) -> list[Any]:
    return items[(page - 1) * size : page * size]


def _path_id(request: Request, entity: str) -> int:
    text = request.path_params["id"]
    try:
        return int(text)
    except ValueError:
        uri = f"/{entity}/{text}"
        msg = f"No HTTP resource was found that matches the request URI '{uri}'."
        raise ApiError(404, message(msg)) from None


def _invalid(errors: dict[str, list[str]]) -> ApiError:
    return ApiError(400, {"Message": "The request is invalid.", "ModelState": errors})


def save(
    sim: WebcrmStandIn, entity: str, key: int, clean: Record, existing: Any
) -> Record:
    """Store a full DTO: absent fields reset to empty, server fields set (hold lock)."""
    prefix = PREFIX[entity]
    record = blank(entity) | clean
    now = format_time(sim.store.tick())
    record[f"{prefix}Id"] = key
    for suffix, fresh in (("CreatedAt", now), ("CreatedBy", "API")):
        kept = existing.get(f"{prefix}{suffix}") if isinstance(existing, dict) else None
        record[f"{prefix}{suffix}"] = kept if kept is not None else fresh
    record[f"{prefix}UpdatedAt"] = now
    record[f"{prefix}UpdatedBy"] = "API"
    if entity == "Persons":
        record["PersonName"] = person_name(record)
    sim.store.put(entity, key, record)
    return record


def _id_in_body(entity: str, body: Record) -> Any:
    return body.get(f"{PREFIX[entity]}Id") or 0


def entity_routes(sim: WebcrmStandIn, entity: str) -> list[BaseRoute]:
    """The routes of one entity (``Organisations``, ``Persons``, ``Products``)."""
    prefix = PREFIX[entity]
    store = sim.store

    async def list_all(request: Request) -> Response:
        sim.require_token(request)
        page, size = paging(request)
        entries = sorted(store.entries(entity), key=lambda kv: order_key([kv[0]]))
        return JsonResponse([e.record for _, e in _page(entries, page, size)])

    async def get_one(request: Request) -> Response:
        sim.require_token(request)
        key = _path_id(request, entity)
        record = store.get(entity, key)
        if record is None:
            raise ApiError(404, message(f"{prefix} with id {key} was not found."))
        return JsonResponse(record)

    async def create(request: Request) -> Response:
        sim.require_token(request)
        body = await _body(request)
        clean, errors = validate(entity, body)
        if errors:
            raise _invalid(errors)
        if _id_in_body(entity, clean) != 0:
            raise ApiError(400, message(f"{prefix}Id must be 0 when creating."))
        with store.lock:
            key = store.next_id(entity)
            save(sim, entity, key, clean, None)
            store.log_write("POST", request.url.path, entity, key)
        return JsonResponse(key)

    async def replace(request: Request) -> Response:
        sim.require_token(request)
        key = _path_id(request, entity)
        body = await _body(request)
        clean, errors = validate(entity, body)
        if errors:
            raise _invalid(errors)
        if _id_in_body(entity, clean) not in (0, key):
            raise ApiError(
                400, message(f"{prefix}Id in the body does not match the URL.")
            )
        with store.lock:
            entry = store.entry(entity, key)
            if entry is None:
                raise ApiError(404, message(f"{prefix} with id {key} was not found."))
            save(sim, entity, key, clean, entry.record)
            store.log_write("PUT", request.url.path, entity, key)
        return Response(status_code=204)

    async def upsert(request: Request) -> Response:
        sim.require_token(request)
        body = await _body(request)
        if not isinstance(body, list):
            raise ApiError(400, message(f"Expected a JSON array of {prefix}Dto."))
        results = [_upsert_one(sim, entity, item, request.url.path) for item in body]
        return JsonResponse(results)

    async def delete(request: Request) -> Response:
        sim.require_token(request)
        if entity != "Products":
            text = "The requested resource does not support http method 'DELETE'."
            raise ApiError(405, message(text), {"Allow": "GET, PUT"})
        key = _path_id(request, entity)
        with store.lock:
            if not store.remove(entity, key):
                raise ApiError(404, message(f"{prefix} with id {key} was not found."))
            store.log_write("DELETE", request.url.path, entity, key)
        return Response(status_code=204)

    return [
        Route(f"/{entity}", list_all, methods=["GET"]),
        Route(f"/{entity}", create, methods=["POST"]),
        Route(f"/{entity}", upsert, methods=["PATCH"]),
        Route(f"/{entity}/{{id}}", get_one, methods=["GET"]),
        Route(f"/{entity}/{{id}}", replace, methods=["PUT"]),
        Route(f"/{entity}/{{id}}", delete, methods=["DELETE"]),
    ]


def _upsert_one(sim: WebcrmStandIn, entity: str, item: Any, path: str) -> str:
    """One PATCH item: create (id 0) or full replace; the id or an error message."""
    prefix = PREFIX[entity]
    clean, errors = validate(entity, item)
    if errors:
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
    key = _id_in_body(entity, clean)
    store = sim.store
    with store.lock:
        if key == 0:
            key = store.next_id(entity)
            existing = None
        else:
            entry = store.entry(entity, key)
            if entry is None:
                return f"{prefix} with id {key} was not found."
            existing = entry.record
        save(sim, entity, key, clean, existing)
        store.log_write("PATCH", path, entity, key)
    return str(key)


async def _body(request: Request) -> Any:
    return await json_body(request, refused)


def feed_routes(sim: WebcrmStandIn) -> list[BaseRoute]:
    """``/Queries`` and ``/Organisations/FindByUpdateDates/{from}/{to}``."""

    def timeline(entity: str) -> list[tuple[datetime, Any, Any]]:
        rows = [
            (sim.feed_time(entity, e.record, e.stamp), key, e.record)
            for key, e in sim.store.entries(entity)
        ]
        rows.sort(key=lambda row: order_key(row[:2]))
        return rows

    async def queries(request: Request) -> Response:
        sim.require_token(request)
        page, size = paging(request)
        try:
            script = query_value(request.query_params, "script")
            query = parse_script(script or "")
        except QueryError as exc:
            raise ApiError(400, message(str(exc))) from None
        rows = timeline(query.entity)
        if query.since is not None:
            rows = [row for row in rows if row[0] >= query.since]
        if not query.ordered:
            rows.sort(key=lambda row: order_key([row[1]]))
        elif query.descending:
            rows.reverse()
        out = []
        for number, (_, _, record) in enumerate(rows, start=1):
            out.append(
                record | {"RowNumber": number} if isinstance(record, dict) else record
            )
        return JsonResponse(_page(out, page, size))

    async def by_update_dates(request: Request) -> Response:
        sim.require_token(request)
        page, size = paging(request)
        start = parse_time(request.path_params["start"])
        end = parse_time(request.path_params["end"])
        if start is None or end is None:
            raise ApiError(400, message("startDate and endDate must be ISO dates."))
        rows = [r for r in timeline("Organisations") if start <= r[0] < end]
        return JsonResponse([record for _, _, record in _page(rows, page, size)])

    return [
        Route("/Queries", queries, methods=["GET"]),
        Route(
            "/Organisations/FindByUpdateDates/{start}/{end}",
            by_update_dates,
            methods=["GET"],
        ),
    ]
