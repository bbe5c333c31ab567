"""Membercare's token exchange: API key + person to impersonate -> ``token`` header."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import (
    JsonResponse,
    json_body,
    problem_error,
    query_value,
)
from standins._tokens import AccessTokens
from standins.membercare.fields import local_text


class TokenBook(AccessTokens):
    """Issued tokens and their lifetime (a runtime knob for tests)."""

    def __init__(self, api_key: str, api_users: set[str], ttl_s: float) -> None:
        super().__init__(ttl_s)
        self.api_key = api_key
        self.api_users = set(api_users)

    def issue(self, api_key: str, person: str) -> dict[str, Any] | None:
        """``{"value", "expiration"}`` for a known key and API user, else None.

        ``expiration`` is local time without an offset, as Membercare sends it.
        """
        if api_key != self.api_key or person not in self.api_users:
            return None
        value = str(uuid.uuid4())
        self.grant(value, person)
        expires = datetime.now(UTC) + timedelta(seconds=self.ttl_s)
        return {"value": value, "expiration": local_text(expires)}

    def person_of(self, token: str) -> str | None:
        """The impersonated person behind a live token; None if unknown or expired."""
        return self.owner_of(token)


def token_routes(tokens: TokenBook) -> list[BaseRoute]:
    """``GET /api/v1/token?clientApiKey=&personToImpersonate=`` and its POST twin."""

    def grant(api_key: Any, person: Any) -> Response:
        if not api_key or not person:
            title = "clientApiKey and personToImpersonate are required."
            raise problem_error(400, title)
        granted = tokens.issue(str(api_key), str(person))
        if granted is None:
            title = "The API key or the person to impersonate is not valid."
            raise problem_error(401, title)
        return JsonResponse(granted)

    async def token_get(request: Request) -> Response:
        params = request.query_params
        return grant(
            query_value(params, "clientApiKey"),
            query_value(params, "personToImpersonate"),
        )

    async def token_post(request: Request) -> Response:
        body = await json_body(request, partial(problem_error, 400))
        if not isinstance(body, dict):
            raise problem_error(400, "Expected a TokenRequest object.")
        return grant(body.get("clientApiKey"), body.get("personToImpersonate"))

    return [
        Route("/api/v1/token", token_get, methods=["GET"]),
        Route("/api/v1/token", token_post, methods=["POST"]),
    ]
