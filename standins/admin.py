"""The ``/_admin`` endpoints: the test handle over HTTP, for a separate process.

No auth: stand-ins bind 127.0.0.1 only and hold made-up data.

==========================================  ============================================
``GET  /_admin/info``                       system, url, resources, credentials
``POST /_admin/seed/{resource}``            body: list of records -> stored records
``POST /_admin/raw/{resource}``             body: any JSON -> ``{"key": ...}``
``GET  /_admin/records/{resource}``         every record
``GET  /_admin/records/{resource}/{id}``    one record (404 if missing)
``POST /_admin/edit/{resource}/{id}``       body: changes -> record (a UI edit)
``GET  /_admin/writes[?resource=]``         ``{"count": n, "writes": [...]}``
``GET|PUT /_admin/faults``                  knobs (PUT: partial update)
``POST /_admin/faults/fail_next``           ``{"n", "status", "method", "path"}``
``POST /_admin/faults/lose_next``           ``{"n"}``
``POST /_admin/faults/corrupt_next``        ``{"n", "kind", "path", "method"}``
``DELETE /_admin/faults/pending``           drop the queued one-off faults above
``POST /_admin/reset[?all=true]``           write log only, or everything
``POST /_admin/expire_tokens``              systems issuing tokens: expire them all
==========================================  ============================================
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import BodyError, JsonResponse, read_json

if TYPE_CHECKING:
    from standins.base import StandIn

Handler = Callable[[Request], Awaitable[Response]]


def _guard(handler: Handler) -> Handler:
    """Turn bad input into 400/404 answers instead of server errors."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except (BodyError, ValidationError, ValueError, TypeError) as exc:
            return JsonResponse({"error": "bad_request", "detail": str(exc)}, 400)
        except KeyError as exc:
            return JsonResponse({"error": "not_found", "detail": str(exc)}, 404)

    return wrapped


def admin_routes(standin: StandIn) -> list[BaseRoute]:
    """Routes driving ``standin``'s handle methods."""

    def resource_of(request: Request) -> str:
        resource: str = request.path_params["resource"]
        if resource not in standin.all_resources():
            raise KeyError(resource)
        return resource

    async def info(request: Request) -> Response:
        body = {
            "system": standin.system,
            "url": standin.url,
            "resources": list(standin.resources),
            "credentials": standin.credentials(),
        }
        return JsonResponse(body)

    async def seed(request: Request) -> Response:
        records = await read_json(request)
        if not isinstance(records, list) or not all(
            isinstance(r, dict) for r in records
        ):
            msg = "seed body must be a JSON array of objects"
            raise BodyError(msg)
        return JsonResponse(standin.seed(resource_of(request), records))

    async def raw(request: Request) -> Response:
        key = standin.inject_raw(resource_of(request), await read_json(request))
        return JsonResponse({"key": key})

    async def records(request: Request) -> Response:
        return JsonResponse(standin.records(resource_of(request)))

    async def record(request: Request) -> Response:
        return JsonResponse(
            standin.get(resource_of(request), request.path_params["id"])
        )

    async def edit(request: Request) -> Response:
        changes = await read_json(request)
        if not isinstance(changes, dict):
            msg = "edit body must be a JSON object"
            raise BodyError(msg)
        resource = resource_of(request)
        return JsonResponse(standin.edit(resource, request.path_params["id"], changes))

    async def writes(request: Request) -> Response:
        log = standin.writes(request.query_params.get("resource"))
        return JsonResponse({"count": len(log), "writes": [w.as_dict() for w in log]})

    async def faults(request: Request) -> Response:
        if request.method == "PUT":
            changes = await read_json(request)
            if not isinstance(changes, dict):
                msg = "faults body must be a JSON object"
                raise BodyError(msg)
            return JsonResponse(standin.set_faults(**changes).model_dump())
        return JsonResponse(standin.faults.model_dump())

    async def fail_next(request: Request) -> Response:
        body: dict[str, Any] = await read_json(request)
        standin.fail_next(
            int(body.get("n", 1)),
            int(body.get("status", 503)),
            method=body.get("method"),
            path=body.get("path"),
        )
        return Response(status_code=204)

    async def lose_next(request: Request) -> Response:
        body: dict[str, Any] = await read_json(request)
        standin.lose_next(int(body.get("n", 1)))
        return Response(status_code=204)

    async def corrupt_next(request: Request) -> Response:
        body: dict[str, Any] = await read_json(request)
        standin.corrupt_next(
            int(body.get("n", 1)),
            str(body.get("kind", "")),
            path=body.get("path"),
            method=str(body.get("method") or "GET"),
        )
        return Response(status_code=204)

    async def clear_pending(request: Request) -> Response:
        standin.injector.clear_pending()  # data, knobs and tokens stay
        return Response(status_code=204)

    async def expire_tokens(request: Request) -> Response:
        standin.expire_tokens()
        return Response(status_code=204)

    async def reset(request: Request) -> Response:
        if request.query_params.get("all", "").lower() in {"1", "true", "yes"}:
            standin.reset()
        else:
            standin.reset_counters()
        return Response(status_code=204)

    table: list[tuple[str, Handler, list[str]]] = [
        ("/_admin/info", info, ["GET"]),
        ("/_admin/seed/{resource}", seed, ["POST"]),
        ("/_admin/raw/{resource}", raw, ["POST"]),
        ("/_admin/records/{resource}", records, ["GET"]),
        ("/_admin/records/{resource}/{id}", record, ["GET"]),
        ("/_admin/edit/{resource}/{id}", edit, ["POST"]),
        ("/_admin/writes", writes, ["GET"]),
        ("/_admin/faults", faults, ["GET", "PUT"]),
        ("/_admin/faults/fail_next", fail_next, ["POST"]),
        ("/_admin/faults/lose_next", lose_next, ["POST"]),
        ("/_admin/faults/corrupt_next", corrupt_next, ["POST"]),
        ("/_admin/faults/pending", clear_pending, ["DELETE"]),
        ("/_admin/reset", reset, ["POST"]),
    ]
    if standin.tokens is not None:
        table.append(("/_admin/expire_tokens", expire_tokens, ["POST"]))
    return [Route(path, _guard(h), methods=methods) for path, h, methods in table]
