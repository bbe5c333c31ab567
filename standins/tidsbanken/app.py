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

from standins._http import BodyError, JsonResponse, read_json
from standins.base import StandIn
from standins.faults import FaultConfig
from standins.store import Record, parse_iso
from standins.tidsbanken.fields import (
    TIME_FIELD,
    blank,
    check,
    format_label,
    odata_error,
)
from standins.tidsbanken.routes import tidsbanken_routes

DEFAULT_TB_KEY = "standin-tidsbanken-tb-key"
DEFAULT_SUBSCRIPTION_KEY = "standin-tidsbanken-apim-key"
DEFAULT_LAG: dict[str, timedelta] = {"Kunde": timedelta(hours=1)}
_FIRST_ID = {"Kunde": 10001, "Avdeling": 10}

Handler = Callable[[Request], Awaitable[Response]]


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
        self.store.reserve_id(resource, clean["Id"])
        return clean["Id"], blank(resource) | clean | {TIME_FIELD: label}

    def apply_edit(self, resource: str, record: Record, changes: Record) -> Record:
        return record | changes | {TIME_FIELD: self.label_now(resource)}

    # -- routes ---------------------------------------------------------------------

    def api_routes(self) -> list[BaseRoute]:
        return tidsbanken_routes(self)

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
