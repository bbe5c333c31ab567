"""Membercare's routes: token, reads (lists, single records, ``/debtors``), writes."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import (
    ApiError,
    JsonResponse,
    int_param,
    problem_error,
    query_value,
)
from standins.membercare.auth import token_routes
from standins.membercare.fields import DEBTORS, MEMBERCARE_TZ, PATHS, api_root, render
from standins.membercare.writes import write_routes
from standins.store import order_key

if TYPE_CHECKING:
    from standins.membercare.app import MembercareStandIn

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000  # [assumption] the swagger names no maximum


def sort_value(key: Any) -> Any:
    """Debtor numbers are text of digits: order them as numbers."""
    return int(key) if isinstance(key, str) and key.isdigit() else key


def _not_valid(name: str, text: str) -> ApiError:
    title = f"The value '{text}' is not valid for {name}."
    return problem_error(400, title)


def paging(request: Request) -> tuple[int, int]:
    """``page`` (1-based, default 1) and ``pageSize`` (default 50)."""
    params = request.query_params
    page = int_param(params, "page", 1, _not_valid, any_case=True)
    size = int_param(params, "pageSize", DEFAULT_PAGE_SIZE, _not_valid, any_case=True)
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        title = f"page must be >= 1 and pageSize between 1 and {MAX_PAGE_SIZE}."
        raise problem_error(400, title)
    return page, size


def envelope(request: Request, path: str, items: list[Any]) -> dict[str, Any]:
    """One page of ``items`` in Membercare's envelope, with absolute page links."""
    page, size = paging(request)
    total = len(items)
    pages = math.ceil(total / size)
    kept = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k.lower() not in ("page", "pagesize")
    ]

    def link(number: int) -> str:
        query = urlencode([*kept, ("pageSize", size), ("page", number)])
        return f"{api_root(request)}/{path}?{query}"

    return {
        "totalCount": total,
        "totalPages": pages,
        "previousPageUrl": link(page - 1) if 1 < page <= pages + 1 else None,
        "nextPageUrl": link(page + 1) if page < pages else None,
        "result": items[(page - 1) * size : page * size],
    }


def membercare_routes(sim: MembercareStandIn) -> list[BaseRoute]:
    """The token exchange, every read, every write (systems.md 9.4)."""
    return token_routes(sim.tokens) + read_routes(sim) + write_routes(sim)


def read_routes(sim: MembercareStandIn) -> list[BaseRoute]:
    """Lists and single records of every resource, plus ``/debtors``."""
    routes: list[BaseRoute] = [
        Route("/api/v1/debtors", _feed(sim), methods=["GET"]),
    ]
    for resource, path in PATHS.items():
        routes += [
            Route(f"/api/v1/{path}", _lister(sim, resource), methods=["GET"]),
            Route(f"/api/v1/{path}/{{key}}", _getter(sim, resource), methods=["GET"]),
        ]
    return routes


def _lister(sim: MembercareStandIn, resource: str) -> Any:
    async def list_all(request: Request) -> Response:
        sim.require_token(request)
        entries = sorted(
            sim.store.entries(resource), key=lambda kv: order_key([sort_value(kv[0])])
        )
        root = api_root(request)
        items = [render(resource, e.record, root) for _, e in entries]
        return JsonResponse(envelope(request, PATHS[resource], items))

    return list_all


def _getter(sim: MembercareStandIn, resource: str) -> Any:
    async def get_one(request: Request) -> Response:
        sim.require_token(request)
        text = request.path_params["key"]
        key = sim.path_key(resource, text)
        record = None if key is None else sim.store.get(resource, key)
        if record is None:
            title = f"{resource[:-1]} '{text}' was not found."
            raise problem_error(404, title)
        return JsonResponse(render(resource, record, api_root(request)))

    return get_one


def _feed(sim: MembercareStandIn) -> Any:
    async def debtors(request: Request) -> Response:
        """Persons and companies changed after ``changedAfter`` (local time)."""
        sim.require_token(request)
        after: datetime | None = None
        text = query_value(request.query_params, "changedAfter")
        if text:
            try:
                after = datetime.fromisoformat(text)
            except ValueError:
                title = f"The value '{text}' is not valid for changedAfter."
                raise problem_error(400, title) from None
            if after.tzinfo is None:
                after = after.replace(tzinfo=MEMBERCARE_TZ)
        rows = []
        root = api_root(request)
        for resource in DEBTORS:
            for key, entry in sim.store.entries(resource):
                when = sim.feed_time(resource, entry.record, entry.stamp)
                # "Gets Debtors that has changed after the given date": strictly.
                if after is not None and when <= after:
                    continue
                rows.append(
                    (when, sort_value(key), _debtor(resource, entry.record, root))
                )
        rows.sort(key=lambda row: order_key(row[:2]))
        return JsonResponse(envelope(request, "debtors", [r for _, _, r in rows]))

    return debtors


def _debtor(resource: str, record: Any, root: str) -> Any:
    """A feed item: the Debtor base fields, with the self link saying the kind."""
    if not isinstance(record, dict):
        return record
    full = render(resource, record, root)
    fields = ("url", "debtorAccountNumber", "name", "addresses", "contacts")
    return {name: full.get(name) for name in fields} | {
        "lastChange": record.get("lastChange")
    }
