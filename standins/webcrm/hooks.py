"""Webcrm webhook subscriptions (CRUD) and the calls they make on each change."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import (
    ApiError,
    JsonResponse,
    json_body,
)
from standins.store import Record, order_key
from standins.webcrm.fields import format_time, message, refused
from standins.webhooks import Outgoing

if TYPE_CHECKING:
    from standins.webcrm.app import WebcrmStandIn

HOOKS = "Hooks"
EVENT_TYPES = ("Create", "Update", "Delete")
# Hook ids are int64 in the swagger; start above int32 so clients cannot assume less.
FIRST_HOOK_ID = 2**32 + 1


_KINDS = {"created": "Create", "updated": "Update", "deleted": "Delete"}


def hook_calls(
    sim: WebcrmStandIn, resource: str, key: Any, record: Any, kind: str
) -> list[Outgoing]:
    """One POST per enabled hook of ``resource`` for this kind of change.

    webCRM documents no payload; this stand-in sends ``{HookId, EventType,
    EntityType, EntityId, Entity}`` (``Entity`` absent on deletes) and no
    signature (webCRM's hooks have none): the ``TargetUrl`` is all a receiver
    can check.
    """
    if resource == HOOKS:
        return []
    event_type = _KINDS[kind]
    calls: list[Outgoing] = []
    for hook_key, entry in sim.store.entries(HOOKS):
        hook = entry.record
        if sim.hook_entities.get(hook_key) != resource:
            continue
        if hook.get("EventType") != event_type or not hook.get("IsEnabled", True):
            continue
        body: Record = {
            "HookId": hook_key,
            "EventType": event_type,
            "EntityType": resource,
            "EntityId": key,
        }
        if kind != "deleted":
            body["Entity"] = record
        calls.append(Outgoing(hook["TargetUrl"], json.dumps(body).encode()))
    return calls


def _validate(body: Any) -> tuple[Record, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(body, dict):
        return {}, {"": ["Expected a JSON object for HookDto."]}
    target = body.get("TargetUrl")
    if not isinstance(target, str) or not target:
        errors["TargetUrl"] = ["The TargetUrl field is required."]
    if body.get("EventType") not in EVENT_TYPES:
        errors["EventType"] = [f"EventType must be one of {', '.join(EVENT_TYPES)}."]
    filters = body.get("Filter", [])
    if not isinstance(filters, list):
        errors["Filter"] = ["Filter must be an array."]
    enabled = body.get("IsEnabled", True)
    if not isinstance(enabled, bool):
        errors["IsEnabled"] = ["IsEnabled must be a boolean."]
    clean = {
        "TargetUrl": target,
        "EventType": body.get("EventType"),
        "Filter": filters,
        "IsEnabled": enabled,
    }
    return clean, errors


def hook_routes(sim: WebcrmStandIn, entities: tuple[str, ...]) -> list[BaseRoute]:
    """``/{E}/Hooks`` (GET, POST) per entity and ``/Hooks/{id}`` (GET, PUT, DELETE)."""
    store = sim.store

    async def parsed(request: Request) -> Record:
        clean, errors = _validate(await json_body(request, refused))
        if errors:
            raise ApiError(
                400, {"Message": "The request is invalid.", "ModelState": errors}
            )
        return clean

    def hook_id(request: Request) -> int:
        try:
            return int(request.path_params["id"])
        except ValueError:
            raise ApiError(404, message("Hook not found.")) from None

    async def list_hooks(request: Request) -> Response:
        sim.require_token(request)
        entity = request.url.path.strip("/").split("/")[0]
        rows = sorted(store.entries(HOOKS), key=lambda kv: order_key([kv[0]]))
        found = [e.record for key, e in rows if sim.hook_entities.get(key) == entity]
        return JsonResponse(found)

    async def create_hook(request: Request) -> Response:
        sim.require_token(request)
        entity = request.url.path.strip("/").split("/")[0]
        clean = await parsed(request)
        with store.lock:
            key = store.next_id(HOOKS, start=FIRST_HOOK_ID)
            now = format_time(store.tick())
            record = {"Id": key, **clean, "CreatedAt": now, "CreatedBy": "API"}
            record |= {"UpdatedAt": now, "UpdatedBy": "API"}
            store.put(HOOKS, key, record)
            sim.hook_entities[key] = entity
            store.log_write("POST", request.url.path, HOOKS, key)
        return JsonResponse(key)

    async def one_hook(request: Request) -> Response:
        sim.require_token(request)
        key = hook_id(request)
        with store.lock:
            entry = store.entry(HOOKS, key)
            if entry is None:
                raise ApiError(404, message(f"Hook with id {key} was not found."))
            if request.method == "GET":
                return JsonResponse(store.get(HOOKS, key))
            if request.method == "DELETE":
                store.remove(HOOKS, key)
                sim.hook_entities.pop(key, None)
                store.log_write("DELETE", request.url.path, HOOKS, key)
                return Response(status_code=204)
        clean = await parsed(request)
        with store.lock:
            entry = store.entry(HOOKS, key)
            if entry is None:
                raise ApiError(404, message(f"Hook with id {key} was not found."))
            now = format_time(store.tick())
            record = entry.record | clean | {"UpdatedAt": now, "UpdatedBy": "API"}
            store.put(HOOKS, key, record)
            store.log_write("PUT", request.url.path, HOOKS, key)
        return Response(status_code=204)

    routes: list[BaseRoute] = []
    for entity in entities:
        routes.append(Route(f"/{entity}/Hooks", list_hooks, methods=["GET"]))
        routes.append(Route(f"/{entity}/Hooks", create_hook, methods=["POST"]))
    routes.append(Route("/Hooks/{id}", one_hook, methods=["GET", "PUT", "DELETE"]))
    return routes
