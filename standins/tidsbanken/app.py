"""A local stand-in of Tidsbanken's API v3 (api.tidsbanken.net), systems.md 3 and 9.2.

What it imitates: the APIM gateway's headers (``Ocp-Apim-Subscription-Key`` and
``tb-key`` else 401; ``x-api-version: 3.0`` else 400, as ASP.NET API versioning
answers an unsupported version), OData v4 lists ``{"@odata.context", "value"}``
with ``$filter``/``$orderby``/``$top``/``$skip``/``$count``/``$select``, Kunde
(``GET``, ``GET Kunde('{Id}')`` wrapped in ``value``, ``POST``, ``PUT`` with an
array body) and Avdeling (``GET``, ``POST``, ``PATCH /{Id}``). Ids are the client's:
an insert without ``Id``, with a taken one or with a ``null`` is 400. Nothing can be
deleted (405). The server sets ``SistEndretDato`` on every write, ``label_lag``
behind true UTC per entity (Kunde an hour by default, as Sesam observed).
Paths match case-insensitively, as they do behind APIM.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, ClassVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import ApiError, BodyError, JsonResponse, read_json
from standins.base import StandIn
from standins.faults import FaultConfig
from standins.store import Record, parse_iso
from standins.tidsbanken.fields import TIME_FIELD, blank, check, format_label
from standins.tidsbanken.odata import ODataError, apply, parse_query

DEFAULT_TB_KEY = "standin-tidsbanken-tb-key"
DEFAULT_SUBSCRIPTION_KEY = "standin-tidsbanken-apim-key"
API_VERSION = "3.0"
DEFAULT_LAG: dict[str, timedelta] = {"Kunde": timedelta(hours=1)}
_FIRST_ID = {"Kunde": 10001, "Avdeling": 10}
_MODULE = {"Kunde": "prosjekt", "Avdeling": "ansatt"}

Handler = Callable[[Request], Awaitable[Response]]


def odata_error(message: str, code: str = "") -> dict[str, Any]:
    """OData's error body."""
    return {"error": {"code": code, "message": message}}


class TidsbankenStandIn(StandIn):
    """Tidsbanken on 127.0.0.1: ``Avdeling`` (ansatt) and ``Kunde`` (prosjekt)."""

    system: ClassVar[str] = "tidsbanken"
    resources: ClassVar[tuple[str, ...]] = ("Avdeling", "Kunde")
    clock_precision: ClassVar[timedelta] = timedelta(milliseconds=1)

    def __init__(
        self,
        *,
        port: int = 0,
        faults: FaultConfig | None = None,
        tb_key: str = DEFAULT_TB_KEY,
        subscription_key: str = DEFAULT_SUBSCRIPTION_KEY,
        label_lag: dict[str, timedelta] | None = None,
        wrap_single: bool = True,
    ) -> None:
        self.tb_key = tb_key
        self.subscription_key = subscription_key
        # How far each entity's SistEndretDato label lags behind true UTC.
        self.label_lag = dict(DEFAULT_LAG if label_lag is None else label_lag)
        self._default_lag = dict(self.label_lag)
        # Kunde('{Id}') answers {"value": [entity]} (Sesam's reading) or the entity.
        self.wrap_single = wrap_single
        self._default_wrap = wrap_single
        super().__init__(port=port, faults=faults)

    def reset_state(self) -> None:
        self.label_lag = dict(self._default_lag)
        self.wrap_single = self._default_wrap

    # -- system specifics -----------------------------------------------------------

    def lag(self, entity: str) -> timedelta:
        """How far ``entity``'s labels lag behind true UTC."""
        return self.label_lag.get(entity, timedelta(0))

    def label_now(self, entity: str) -> str:
        """A fresh ``SistEndretDato`` for a write (strictly increasing)."""
        return format_label(self.store.tick() - self.lag(entity))

    def error_body(self, status: int, message: str) -> Any:
        if status in (401, 403, 429):
            return {"statusCode": status, "message": message}  # APIM's own shape
        return odata_error(message, str(status))

    def rate_key(self, request: Request) -> str | None:
        return request.headers.get("ocp-apim-subscription-key")

    def credentials(self) -> dict[str, str]:
        return {
            "tb-key": self.tb_key,
            "Ocp-Apim-Subscription-Key": self.subscription_key,
        }

    def connector_env(self) -> dict[str, str]:
        skew = {name: self.lag(name).total_seconds() for name in self.resources}
        return {
            "TIDSBANKEN_BASE_URL": self.url,
            "TIDSBANKEN_TB_KEY": self.tb_key,
            "TIDSBANKEN_SUBSCRIPTION_KEY": self.subscription_key,
            "TIDSBANKEN_CLOCK_SKEW_SECONDS": orjson.dumps(skew).decode(),
        }

    def id_of(self, resource: str, record: Any) -> Any:
        return record.get("Id") if isinstance(record, dict) else None

    def parse_id(self, resource: str, text: str) -> Any:
        return text

    def time_field(self, resource: str) -> str:
        return TIME_FIELD

    def accept_seed(self, resource: str, record: Record) -> tuple[Any, Record]:
        given = record.pop(TIME_FIELD, None)
        if not record.get("Id"):
            record["Id"] = str(self.store.next_id(resource, _FIRST_ID[resource]))
        clean, problem = check(resource, record, inserting=True)
        if problem:
            msg = f"{resource} seed record is invalid: {problem}"
            raise ValueError(msg)
        when = parse_iso(given)
        label = format_label(when) if when else self.label_now(resource)
        if clean["Id"].isdigit():
            self.store.reserve_id(resource, int(clean["Id"]))
        return clean["Id"], blank(resource) | clean | {TIME_FIELD: label}

    def apply_edit(self, resource: str, record: Record, changes: Record) -> Record:
        return record | changes | {TIME_FIELD: self.label_now(resource)}

    # -- routes ---------------------------------------------------------------------

    def api_routes(self) -> list[BaseRoute]:
        table: list[tuple[str, Handler, str]] = [
            ("/prosjekt/Kunde", self._lister("Kunde"), "GET"),
            ("/prosjekt/Kunde", self._inserter("Kunde"), "POST"),
            ("/prosjekt/Kunde", self._put_kunder, "PUT"),
            ("/prosjekt/Kunde({key})", self._get_kunde, "GET"),
            ("/ansatt/Avdeling", self._lister("Avdeling"), "GET"),
            ("/ansatt/Avdeling", self._inserter("Avdeling"), "POST"),
            ("/ansatt/Avdeling/{id}", self._patch_avdeling, "PATCH"),
        ]
        routes: list[BaseRoute] = []
        for path, handler, method in table:
            guarded = self._guarded(handler)
            for variant in dict.fromkeys((path, path.lower())):
                routes.append(Route(variant, guarded, methods=[method]))
        return routes

    def extra_admin_routes(self) -> list[BaseRoute]:
        """``/_admin/label_lag``: GET or PUT ``{"Kunde": 3600}`` (seconds)."""

        async def label_lag(request: Request) -> Response:
            if request.method == "PUT":
                try:
                    changes = await read_json(request)
                except BodyError as exc:
                    return JsonResponse(odata_error(str(exc)), status_code=400)
                valid = isinstance(changes, dict) and all(
                    name in self.resources and isinstance(value, int | float)
                    for name, value in changes.items()
                )
                if not valid:
                    msg = f"expected seconds per entity of {self.resources}"
                    return JsonResponse(odata_error(msg), status_code=400)
                for name, value in changes.items():
                    self.label_lag[name] = timedelta(seconds=value)
            body = {name: self.lag(name).total_seconds() for name in self.resources}
            return JsonResponse(body)

        return [Route("/_admin/label_lag", label_lag, methods=["GET", "PUT"])]

    def _guarded(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            self._require_keys(request)
            return await handler(request)

        return endpoint

    def _require_keys(self, request: Request) -> None:
        headers = request.headers
        apim = headers.get("ocp-apim-subscription-key")
        if apim is None:
            msg = (
                "Access denied due to missing subscription key. Make sure to include"
                " subscription key when making requests to an API."
            )
            raise ApiError(401, self.error_body(401, msg))
        if apim != self.subscription_key:
            msg = (
                "Access denied due to invalid subscription key. Make sure to provide"
                " a valid key for an active subscription."
            )
            raise ApiError(401, self.error_body(401, msg))
        if headers.get("tb-key") != self.tb_key:
            raise ApiError(401, self.error_body(401, "Missing or invalid tb-key."))
        if headers.get("x-api-version") != API_VERSION:
            msg = f"The HTTP resource requires x-api-version {API_VERSION}."
            raise ApiError(400, odata_error(msg, "UnsupportedApiVersion"))

    def _context(self, request: Request, entity: str) -> str:
        base = str(request.base_url).rstrip("/")
        return f"{base}/{_MODULE[entity]}/$metadata#{entity}"

    async def _body(self, request: Request) -> Any:
        try:
            return await read_json(request)
        except BodyError as exc:
            raise ApiError(400, odata_error(str(exc))) from None

    def _lister(self, entity: str) -> Handler:
        async def list_all(request: Request) -> Response:
            try:
                query = parse_query(dict(request.query_params))
            except ODataError as exc:
                raise ApiError(400, odata_error(str(exc))) from None
            rows: list[tuple[Any, Any]] = []
            fallback: dict[int, Any] = {}
            for key, entry in self.store.entries(entity):
                rows.append((key, entry.record))
                fallback[id(entry.record)] = entry.stamp - self.lag(entity)

            def value_of(row: Any, field: str) -> Any:
                if field == TIME_FIELD:
                    value = row.get(field) if isinstance(row, dict) else None
                    return parse_iso(value) or fallback[id(row)]
                return row.get(field) if isinstance(row, dict) else None

            page, count = apply(query, rows, value_of)
            body: dict[str, Any] = {"@odata.context": self._context(request, entity)}
            if query.count:
                body["@odata.count"] = count
            body["value"] = page
            return JsonResponse(body)

        return list_all

    def _inserter(self, entity: str) -> Handler:
        async def insert(request: Request) -> Response:
            clean, problem = check(entity, await self._body(request), inserting=True)
            if problem:
                raise ApiError(400, odata_error(problem))
            with self.store.lock:
                if self.store.has(entity, clean["Id"]):
                    msg = f"A {entity} with Id '{clean['Id']}' already exists."
                    raise ApiError(400, odata_error(msg, "DuplicateKey"))
                record = blank(entity) | clean | {TIME_FIELD: self.label_now(entity)}
                self.store.put(entity, clean["Id"], record)
                self.store.log_write("POST", request.url.path, entity, clean["Id"])
            context = self._context(request, entity) + "/$entity"
            return JsonResponse({"@odata.context": context, **record}, 201)

        return insert

    async def _get_kunde(self, request: Request) -> Response:
        text = request.path_params["key"]
        if len(text) < 2 or not (text.startswith("'") and text.endswith("'")):
            msg = "The key of Kunde is a string and must be quoted: Kunde('10001')."
            raise ApiError(400, odata_error(msg))
        key = text[1:-1].replace("''", "'")
        record = self.store.get("Kunde", key)
        if record is None:
            msg = f"Kunde with Id '{key}' was not found."
            raise ApiError(404, odata_error(msg, "NotFound"))
        context = self._context(request, "Kunde")
        if self.wrap_single:
            return JsonResponse({"@odata.context": context, "value": [record]})
        return JsonResponse({"@odata.context": context + "/$entity", **record})

    async def _put_kunder(self, request: Request) -> Response:
        body = await self._body(request)
        if not isinstance(body, list):
            raise ApiError(400, odata_error("Expected a JSON array of Kunde."))
        changes: list[Record] = []
        for item in body:
            clean, problem = check("Kunde", item, inserting=False)
            if problem or not clean.get("Id"):
                raise ApiError(400, odata_error(problem or "Every Kunde needs its Id."))
            changes.append(clean)
        with self.store.lock:
            missing = [c["Id"] for c in changes if not self.store.has("Kunde", c["Id"])]
            if missing:
                msg = f"Kunde with Id '{missing[0]}' was not found."
                raise ApiError(404, odata_error(msg, "NotFound"))
            saved = []
            for clean in changes:
                # PUT replaces: properties left out go back to empty.
                record = blank("Kunde") | clean | {TIME_FIELD: self.label_now("Kunde")}
                self.store.put("Kunde", clean["Id"], record)
                self.store.log_write("PUT", request.url.path, "Kunde", clean["Id"])
                saved.append(record)
        context = self._context(request, "Kunde")
        return JsonResponse({"@odata.context": context, "value": saved})

    async def _patch_avdeling(self, request: Request) -> Response:
        key = request.path_params["id"]
        clean, problem = check("Avdeling", await self._body(request), inserting=False)
        if problem:
            raise ApiError(400, odata_error(problem))
        if clean.get("Id", key) != key:
            raise ApiError(400, odata_error("The Id in the body differs from the URL."))
        with self.store.lock:
            current = self.store.get("Avdeling", key)
            if not isinstance(current, dict):
                msg = f"Avdeling with Id '{key}' was not found."
                raise ApiError(404, odata_error(msg, "NotFound"))
            record = current | clean | {TIME_FIELD: self.label_now("Avdeling")}
            self.store.put("Avdeling", key, record)
            self.store.log_write("PATCH", request.url.path, "Avdeling", key)
        context = self._context(request, "Avdeling") + "/$entity"
        return JsonResponse({"@odata.context": context, **record})
