"""HTTP helpers shared by the stand-ins: orjson responses, body parsing, API errors."""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Endpoint = Callable[[Request], Awaitable[Response]]


class JsonResponse(JSONResponse):
    """A JSON response rendered with orjson (datetimes, non-ASCII, speed)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class ApiError(Exception):
    """Raised by a handler to answer with ``status`` and an already-shaped body."""

    def __init__(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        """The HTTP response this error stands for."""
        if self.body is None:
            return Response(status_code=self.status, headers=self.headers)
        return JsonResponse(self.body, status_code=self.status, headers=self.headers)


class BodyError(ValueError):
    """The request body is not what the endpoint needs; the message says why."""


def problem(status: int, title: str, **extra: Any) -> dict[str, Any]:
    """An ASP.NET Core ProblemDetails body (Membercare, Crmoffice)."""
    return {"title": title, "status": status, **extra}


def query_value(params: QueryParams, name: str) -> str | None:
    """A query parameter, matched case-insensitively as ASP.NET binds them."""
    wanted = name.lower()
    for key, value in params.multi_items():
        if key.lower() == wanted:
            return value
    return None


def int_param(
    params: QueryParams,
    name: str,
    default: int,
    refuse: Callable[[str, str], ApiError],
    *,
    any_case: bool = False,
) -> int:
    """An integer query parameter, ``default`` when absent.

    ``any_case`` matches the name as ASP.NET does. Text that is no integer raises
    ``refuse(name, text)``: each system words that refusal its own way.
    """
    text = query_value(params, name) if any_case else params.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise refuse(name, text) from None


def guarded(guard: Callable[[Request], None], handler: Endpoint) -> Endpoint:
    """``handler`` behind ``guard``, which raises (a 401 ``ApiError``) to refuse."""

    async def endpoint(request: Request) -> Response:
        guard(request)
        return await handler(request)

    return endpoint


async def read_json(request: Request) -> Any:
    """The decoded JSON body; raises :class:`BodyError` on empty or invalid JSON."""
    raw = await request.body()
    if not raw.strip():
        msg = "request body is empty"
        raise BodyError(msg)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        msg = f"request body is not valid JSON: {exc}"
        raise BodyError(msg) from None


async def json_body(request: Request, refuse: Callable[[str], ApiError]) -> Any:
    """The decoded JSON body; an empty or invalid one raises ``refuse(why)``."""
    try:
        return await read_json(request)
    except BodyError as exc:
        raise refuse(str(exc)) from None


def problem_error(status: int, title: str, **extra: Any) -> ApiError:
    """An ``ApiError`` carrying a ProblemDetails body."""
    return ApiError(status, problem(status, title, **extra))


async def read_form(request: Request) -> dict[str, str]:
    """Form fields from an urlencoded or multipart body (first value wins).

    Parsed here rather than by starlette because ``request.form()`` needs the
    optional python-multipart package, and the forms we accept are tiny.
    """
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        return _parse_multipart(content_type, raw)
    fields: dict[str, str] = {}
    for key, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
        fields.setdefault(key, value)
    return fields


def _parse_multipart(content_type: str, raw: bytes) -> dict[str, str]:
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(header + raw)
    fields: dict[str, str] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            fields.setdefault(name, payload.decode("utf-8", "replace"))
    return fields
