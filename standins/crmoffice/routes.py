"""Crmoffice's routes: ``/connect/token`` and, per resource, list, get, create, put."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import (
    ApiError,
    JsonResponse,
    guarded,
    int_param,
    json_body,
    problem,
    problem_error,
    read_form,
)
from standins.crmoffice.fields import RESOURCES, Resource, check, format_time
from standins.store import Record, order_key, parse_iso

if TYPE_CHECKING:
    from standins.crmoffice.app import CrmofficeStandIn

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

Handler = Callable[["CrmofficeStandIn", Resource, Request], Awaitable[Response]]


def crmoffice_routes(sim: CrmofficeStandIn) -> list[BaseRoute]:
    """The token endpoint, then every resource's routes behind a bearer token."""

    table: list[tuple[str, Handler, str]] = [
        ("", _list, "GET"),
        ("", _create, "POST"),
        ("/{id}", _one, "GET"),
        ("/{id}", _put, "PUT"),
    ]
    routes: list[BaseRoute] = [
        Route("/connect/token", partial(_token, sim), methods=["POST"])
    ]
    routes += [
        Route(
            f"/{spec.path}{suffix}",
            guarded(partial(_require_bearer, sim), partial(handler, sim, spec)),
            methods=[method],
        )
        for spec in RESOURCES.values()
        for suffix, handler, method in table
    ]
    return routes


def _require_bearer(sim: CrmofficeStandIn, request: Request) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not sim.oauth.valid(token.strip()):
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        raise ApiError(401, None, headers)


async def _token(sim: CrmofficeStandIn, request: Request) -> Response:
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
    status, body = sim.oauth.token(form, basic)
    return JsonResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _not_an_integer(name: str, text: str) -> ApiError:
    return problem_error(400, f"{name} must be an integer.")


def _not_found(spec: Resource, key: str) -> ApiError:
    return problem_error(404, f"{spec.path} {key} was not found.")


async def _list(sim: CrmofficeStandIn, spec: Resource, request: Request) -> Response:
    params = request.query_params
    since = None
    if sim.supports_updated_since and "updatedSince" in params:
        since = parse_iso(params["updatedSince"].replace("Z", "+00:00"))
        if since is None:
            title = "updatedSince must be an ISO 8601 date-time."
            raise problem_error(400, title)
    rows = []
    for key, entry in sim.store.entries(spec.name):
        when = sim.feed_time(spec.name, entry.record, entry.stamp)
        if since is not None and when < since:
            continue
        rows.append((when, key, entry.record))
    rows.sort(key=lambda row: order_key(row[1:2] if since is None else row[:2]))
    items = [sim.view(record) for _, _, record in rows]
    if sim.supports_paging:
        page = int_param(params, "page", 1, _not_an_integer)
        size = int_param(params, "pageSize", DEFAULT_PAGE_SIZE, _not_an_integer)
        if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
            title = f"page must be >= 1 and pageSize between 1 and {MAX_PAGE_SIZE}."
            raise problem_error(400, title)
        items = items[(page - 1) * size : page * size]
    return JsonResponse({"items": items})


async def _one(sim: CrmofficeStandIn, spec: Resource, request: Request) -> Response:
    record = sim.store.get(spec.name, request.path_params["id"])
    if record is None:
        raise _not_found(spec, request.path_params["id"])
    return JsonResponse(sim.view(record))


async def _written(sim: CrmofficeStandIn, spec: Resource, request: Request) -> Record:
    """The known fields of a write's body; 405 on what cannot be written."""
    if not (spec.writable and sim.supports_writes):
        raise ApiError(405, problem(405, "Method Not Allowed"), {"Allow": "GET"})
    body = await json_body(request, partial(problem_error, 400))
    # Server-owned (id, updatedAt) and unknown fields are ignored, as ASP.NET
    # does: a record read and sent back as a whole is a valid write.
    clean, errors = check(spec, body)
    if errors:
        title = "One or more validation errors occurred."
        raise problem_error(400, title, errors=errors)
    return clean


def _save(
    sim: CrmofficeStandIn, spec: Resource, key: str, clean: Record, request: Request
) -> Record:
    """Store a whole record (fields left out are null) and log the write."""
    record = {"id": key} | spec.blank() | clean
    record["updatedAt"] = format_time(sim.store.tick())
    sim.store.put(spec.name, key, record)
    sim.store.log_write(request.method, request.url.path, spec.name, key)
    return record


async def _create(sim: CrmofficeStandIn, spec: Resource, request: Request) -> Response:
    clean = await _written(sim, spec, request)
    with sim.store.lock:
        record = _save(sim, spec, sim.new_id(spec), clean, request)
    return JsonResponse(sim.view(record), status_code=201)


async def _put(sim: CrmofficeStandIn, spec: Resource, request: Request) -> Response:
    clean = await _written(sim, spec, request)
    key = request.path_params["id"]
    with sim.store.lock:
        if not isinstance(sim.store.get(spec.name, key), dict):
            raise _not_found(spec, key)
        # PUT replaces the record: fields left out become null.
        record = _save(sim, spec, key, clean, request)
    return JsonResponse(sim.view(record))
