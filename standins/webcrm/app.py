"""A local stand-in of the webCRM REST API (https://api.webcrm.com), systems.md 4, 9.3.

What it imitates: form login to a bearer token that expires, bare JSON arrays with
1-based ``Page``/``Size`` paging that ends on ``[]``, ``/Queries`` with the
``UpdatedAt >=`` filter, int ids assigned by the server, full-replace PUT, bulk
PATCH answering strings, DELETE only for Products (405 elsewhere), webhook
subscriptions that POST to their ``TargetUrl`` on each change, and a 250
requests/minute sliding window per application token answered with webCRM's own
429 body.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from standins._http import ApiError, JsonResponse
from standins.base import StandIn
from standins.faults import FaultConfig
from standins.store import Record
from standins.webcrm.auth import TokenBook
from standins.webcrm.fields import (
    PREFIX,
    WEBCRM_TZ,
    format_time,
    message,
    parse_time,
    person_name,
    validate,
)
from standins.webcrm.hooks import HOOKS, hook_calls
from standins.webcrm.routes import save, webcrm_routes
from standins.webhooks import Outgoing

DEFAULT_AUTH_CODE = "6f1d3a52-0c1e-4f7b-9a57-standin-webcrm"
_DENIED = "Authorization has been denied for this request."


class WebcrmStandIn(StandIn):
    """webCRM on 127.0.0.1: ``Organisations``, ``Persons``, ``Products``."""

    system: ClassVar[str] = "webcrm"
    resources: ClassVar[tuple[str, ...]] = ("Organisations", "Persons", "Products")
    default_faults: ClassVar[FaultConfig] = FaultConfig(
        rate_limit=250, rate_window_s=60
    )
    naive_tz = WEBCRM_TZ

    def __init__(
        self,
        *,
        port: int = 0,
        faults: FaultConfig | None = None,
        auth_code: str = DEFAULT_AUTH_CODE,
        token_ttl_s: float = 3600.0,
    ) -> None:
        self.auth_code = auth_code
        self.tokens: TokenBook = TokenBook({auth_code}, token_ttl_s)
        self.hook_entities: dict[Any, str] = {}
        super().__init__(port=port, faults=faults)

    @classmethod
    def all_resources(cls) -> tuple[str, ...]:
        return (*cls.resources, HOOKS)

    # -- auth -----------------------------------------------------------------------

    @property
    def token_ttl_s(self) -> float:
        """Lifetime of new access tokens (``ExpiresIn``); tests set a few seconds."""
        return self.tokens.ttl_s

    @token_ttl_s.setter
    def token_ttl_s(self, value: float) -> None:
        self.tokens.ttl_s = value

    def require_token(self, request: Request) -> str:
        """The application behind the bearer token, or a 401 ``ApiError``."""
        app = self._app_of(request)
        if app is None:
            raise ApiError(401, message(_DENIED), {"WWW-Authenticate": "Bearer"})
        return app

    def _app_of(self, request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.tokens.app_of(token.strip())

    def rate_key(self, request: Request) -> str | None:
        # Per application token, as webCRM documents; a refreshed access token
        # does not get a fresh window. Unauthenticated calls get 401 anyway.
        if request.url.path.startswith("/Auth/"):
            return None
        app = self._app_of(request)
        return None if app is None else f"app:{app}"

    def throttled_response(self, retry_after: int) -> Response:
        limit = self.injector.config.rate_limit
        body = {
            "RetryAfterSeconds": retry_after,
            "Message": (
                f"The request was throttled. The limit of {limit} requests per minute"
                " is reached"
            ),
            "Type": "TooManyRequestsException",
        }
        return JsonResponse(
            body, status_code=429, headers={"Retry-After": str(retry_after)}
        )

    def error_body(self, status: int, message_text: str) -> Any:
        return message(message_text)

    def credentials(self) -> dict[str, str]:
        return {"authCode": self.auth_code}

    def connector_env(self) -> dict[str, str]:
        return {"WEBCRM_BASE_URL": self.url, "WEBCRM_API_TOKEN": self.auth_code}

    def reset_state(self) -> None:
        self.hook_entities.clear()

    def enable_push(self, receiver_url: str, secret: str) -> dict[str, str]:
        # tether registers its hooks through the API at start (TargetUrl holds
        # the secret): only the worker needs to know.
        return {"WEBCRM_WEBHOOK_SECRET": secret}

    def webhook_calls(
        self, resource: str, key: Any, record: Any, kind: str
    ) -> list[Outgoing]:
        return hook_calls(self, resource, key, record, kind)

    # -- routes ---------------------------------------------------------------------

    def api_routes(self) -> list[BaseRoute]:
        return webcrm_routes(self)

    # -- the handle -------------------------------------------------------------------

    def id_of(self, resource: str, record: Any) -> Any:
        if not isinstance(record, dict):
            return None
        field = "Id" if resource == HOOKS else f"{PREFIX[resource]}Id"
        return record.get(field)

    def parse_id(self, resource: str, text: str) -> Any:
        return int(text) if text.lstrip("-").isdigit() else text

    def time_field(self, resource: str) -> str:
        return "UpdatedAt" if resource == HOOKS else f"{PREFIX[resource]}UpdatedAt"

    def accept_seed(self, resource: str, record: Record) -> tuple[Any, Record]:
        if resource == HOOKS:
            msg = "seed webhooks through the API"
            raise ValueError(msg)
        prefix = PREFIX[resource]
        clean, errors = validate(resource, record)
        if errors:
            msg = f"{prefix} seed record is invalid: {errors}"
            raise ValueError(msg)
        key = clean.get(f"{prefix}Id") or self.store.next_id(resource)
        self.store.reserve_id(resource, key)
        # Seeded records keep the times and authors they were given (ties allowed).
        given = {
            suffix: clean.get(f"{prefix}{suffix}")
            for suffix in ("CreatedAt", "UpdatedAt", "CreatedBy", "UpdatedBy")
        }
        stored = save(self, resource, key, clean, None)
        for suffix, value in given.items():
            when = parse_time(value) if suffix.endswith("At") else None
            if when is not None:
                stored[f"{prefix}{suffix}"] = format_time(when)
            elif suffix.endswith("By") and value:
                stored[f"{prefix}{suffix}"] = value
        return key, stored

    def apply_edit(self, resource: str, record: Record, changes: Record) -> Record:
        prefix = "" if resource == HOOKS else PREFIX[resource]
        edited = record | changes
        edited[f"{prefix}UpdatedAt"] = format_time(self.store.tick())
        edited[f"{prefix}UpdatedBy"] = "UI"
        if resource == "Persons" and "PersonName" not in changes:
            edited["PersonName"] = person_name(edited)
        return edited
