"""Tidsbanken's routes: Kunde (list, get, insert, array PUT), Avdeling (list, insert,
PATCH), each behind the gateway's headers and matched case-insensitively."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import (
    ApiError,
    Endpoint,
    JsonResponse,
    guarded,
    json_body,
)
from standins.store import Record, parse_iso
from standins.tidsbanken.fields import TIME_FIELD, blank, check, odata_error
from standins.tidsbanken.odata import ODataError, apply, parse_query

if TYPE_CHECKING:
    from standins.tidsbanken.app import TidsbankenStandIn

API_VERSION = "3.0"
_MODULE = {"Kunde": "prosjekt", "Avdeling": "ansatt"}


def tidsbanken_routes(sim: TidsbankenStandIn) -> list[BaseRoute]:
    """Every route, in its documented spelling and in lower case (APIM matches both)."""
    table: list[tuple[str, Endpoint, str]] = [
        ("/prosjekt/Kunde", _lister(sim, "Kunde"), "GET"),
        ("/prosjekt/Kunde", _inserter(sim, "Kunde"), "POST"),
        ("/prosjekt/Kunde", _kunder_putter(sim), "PUT"),
        ("/prosjekt/Kunde({key})", _kunde_getter(sim), "GET"),
        ("/ansatt/Avdeling", _lister(sim, "Avdeling"), "GET"),
        ("/ansatt/Avdeling", _inserter(sim, "Avdeling"), "POST"),
        ("/ansatt/Avdeling/{id}", _avdeling_patcher(sim), "PATCH"),
    ]
    routes: list[BaseRoute] = []
    for path, handler, method in table:
        endpoint = guarded(partial(_require_keys, sim), handler)
        for variant in dict.fromkeys((path, path.lower())):
            routes.append(Route(variant, endpoint, methods=[method]))
    return routes


def _require_keys(sim: TidsbankenStandIn, request: Request) -> None:
    headers = request.headers
    apim = headers.get("ocp-apim-subscription-key")
    if apim is None:
        msg = (
            "Access denied due to missing subscription key. Make sure to include"
            " subscription key when making requests to an API."
        )
        raise ApiError(401, sim.error_body(401, msg))
    if apim != sim.subscription_key:
        msg = (
            "Access denied due to invalid subscription key. Make sure to provide"
            " a valid key for an active subscription."
        )
        raise ApiError(401, sim.error_body(401, msg))
    if headers.get("tb-key") != sim.tb_key:
        raise ApiError(401, sim.error_body(401, "Missing or invalid tb-key."))
    if headers.get("x-api-version") != API_VERSION:
        msg = f"The HTTP resource requires x-api-version {API_VERSION}."
        raise ApiError(400, odata_error(msg, "UnsupportedApiVersion"))


def _context(request: Request, entity: str) -> str:
    base = str(request.base_url).rstrip("/")
    return f"{base}/{_MODULE[entity]}/$metadata#{entity}"


async def _body(request: Request) -> Any:
    return await json_body(request, lambda why: ApiError(400, odata_error(why)))


def _missing(entity: str, key: str) -> dict[str, Any]:
    """The 404 body for a record that is not there."""
    return odata_error(f"{entity} with Id '{key}' was not found.", "NotFound")


def _lister(sim: TidsbankenStandIn, entity: str) -> Endpoint:
    async def list_all(request: Request) -> Response:
        try:
            query = parse_query(dict(request.query_params))
        except ODataError as exc:
            raise ApiError(400, odata_error(str(exc))) from None
        rows: list[tuple[Any, Any]] = []
        fallback: dict[int, Any] = {}
        for key, entry in sim.store.entries(entity):
            rows.append((key, entry.record))
            fallback[id(entry.record)] = entry.stamp - sim.lag(entity)

        def value_of(row: Any, field: str) -> Any:
            if field == TIME_FIELD:
                value = row.get(field) if isinstance(row, dict) else None
                return parse_iso(value) or fallback[id(row)]
            return row.get(field) if isinstance(row, dict) else None

        page, count = apply(query, rows, value_of)
        body: dict[str, Any] = {"@odata.context": _context(request, entity)}
        if query.count:
            body["@odata.count"] = count
        body["value"] = page
        return JsonResponse(body)

    return list_all


def _inserter(sim: TidsbankenStandIn, entity: str) -> Endpoint:
    async def insert(request: Request) -> Response:
        clean, problem = check(entity, await _body(request), inserting=True)
        if problem:
            raise ApiError(400, odata_error(problem))
        with sim.store.lock:
            if sim.store.has(entity, clean["Id"]):
                msg = f"A {entity} with Id '{clean['Id']}' already exists."
                raise ApiError(400, odata_error(msg, "DuplicateKey"))
            record = _save(sim, request, entity, blank(entity) | clean)
        context = _context(request, entity) + "/$entity"
        return JsonResponse({"@odata.context": context, **record}, 201)

    return insert


def _save(
    sim: TidsbankenStandIn, request: Request, entity: str, record: Record
) -> Record:
    """Store a written record with a fresh label and log the write (hold the lock)."""
    record = record | {TIME_FIELD: sim.label_now(entity)}
    sim.store.put(entity, record["Id"], record)
    sim.store.log_write(request.method, request.url.path, entity, record["Id"])
    return record


def _kunde_getter(sim: TidsbankenStandIn) -> Endpoint:
    async def get_kunde(request: Request) -> Response:
        text = request.path_params["key"]
        if len(text) < 2 or not (text.startswith("'") and text.endswith("'")):
            msg = "The key of Kunde is a string and must be quoted: Kunde('10001')."
            raise ApiError(400, odata_error(msg))
        key = text[1:-1].replace("''", "'")
        record = sim.store.get("Kunde", key)
        if record is None:
            raise ApiError(404, _missing("Kunde", key))
        context = _context(request, "Kunde")
        if sim.wrap_single:
            return JsonResponse({"@odata.context": context, "value": [record]})
        return JsonResponse({"@odata.context": context + "/$entity", **record})

    return get_kunde


def _kunder_putter(sim: TidsbankenStandIn) -> Endpoint:
    async def put_kunder(request: Request) -> Response:
        body = await _body(request)
        if not isinstance(body, list):
            raise ApiError(400, odata_error("Expected a JSON array of Kunde."))
        changes: list[Record] = []
        for item in body:
            clean, problem = check("Kunde", item, inserting=False)
            if problem or not clean.get("Id"):
                raise ApiError(400, odata_error(problem or "Every Kunde needs its Id."))
            changes.append(clean)
        with sim.store.lock:
            missing = [c["Id"] for c in changes if not sim.store.has("Kunde", c["Id"])]
            if missing:
                raise ApiError(404, _missing("Kunde", missing[0]))
            # PUT replaces: properties left out go back to empty.
            saved = [_save(sim, request, "Kunde", blank("Kunde") | c) for c in changes]
        context = _context(request, "Kunde")
        return JsonResponse({"@odata.context": context, "value": saved})

    return put_kunder


def _avdeling_patcher(sim: TidsbankenStandIn) -> Endpoint:
    async def patch_avdeling(request: Request) -> Response:
        key = request.path_params["id"]
        clean, problem = check("Avdeling", await _body(request), inserting=False)
        if problem:
            raise ApiError(400, odata_error(problem))
        if clean.get("Id", key) != key:
            raise ApiError(400, odata_error("The Id in the body differs from the URL."))
        with sim.store.lock:
            current = sim.store.get("Avdeling", key)
            if not isinstance(current, dict):
                raise ApiError(404, _missing("Avdeling", key))
            record = _save(sim, request, "Avdeling", current | clean)
        context = _context(request, "Avdeling") + "/$entity"
        return JsonResponse({"@odata.context": context, **record})

    return patch_avdeling
