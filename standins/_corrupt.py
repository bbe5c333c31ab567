"""Broken 2xx answers a stand-in can serve instead of a listing (``corrupt_next``).

Each kind is what real APIs and the things in front of them send now and then:
a proxy's HTML maintenance page with status 200, a body cut off mid-way, XML
from content negotiation gone wrong, JSON of the wrong shape, or a record whose
text holds bytes that are not UTF-8.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

INVALID_UTF8_MARK = "~invalid-utf8~"
"""Text in a stored record that ``invalid_utf8`` turns into non-UTF-8 bytes."""

_BAD_BYTES = b"\xff\xfe\xc3"

_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Temporarily Unavailable"
    b"</title></head>\n<body><h1>Down for maintenance</h1><p>We will be back"
    b" shortly.</p></body></html>\n"
)
_XML = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<Error><Message>An error has'
    b" occurred.</Message></Error>\n"
)

Body = tuple[str, bytes]
"""Content type and body."""


def _html(content_type: str, body: bytes) -> Body | None:
    return "text/html; charset=utf-8", _HTML


def _xml(content_type: str, body: bytes) -> Body | None:
    return "application/xml; charset=utf-8", _XML


def _empty(content_type: str, body: bytes) -> Body | None:
    return content_type, b""


def _truncated(content_type: str, body: bytes) -> Body | None:
    return content_type, body[: max(1, len(body) // 2)]


def _reshape(change: Callable[[Any], Any]) -> Callable[[str, bytes], Body | None]:
    def corrupt(content_type: str, body: bytes) -> Body | None:
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        return content_type, orjson.dumps(change(decoded))

    return corrupt


def _wrong_shape(value: Any) -> Any:
    # An array where an object is due and the other way round.
    return {"items": value} if isinstance(value, list) else [value]


def _null_items(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: None if isinstance(v, list) else v for k, v in value.items()}
    return None


def _no_paging(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if isinstance(v, list)}
    return value


def _invalid_utf8(content_type: str, body: bytes) -> Body | None:
    mark = INVALID_UTF8_MARK.encode()
    if mark not in body:
        return None  # nothing to corrupt: the rule waits for a body that has it
    return content_type, body.replace(mark, _BAD_BYTES)


CORRUPTIONS: dict[str, Callable[[str, bytes], Body | None]] = {
    "html200": _html,
    "xml": _xml,
    "empty": _empty,
    "truncated": _truncated,
    "wrong_shape": _reshape(_wrong_shape),
    "null_items": _reshape(_null_items),
    "missing_paging": _reshape(_no_paging),
    "invalid_utf8": _invalid_utf8,
}
"""Kind -> what it makes of a successful answer (``None``: leave it alone)."""


async def serve_corrupted(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    corrupt: Callable[[str, bytes], Body | None],
) -> None:
    """Run ``app``, then send its answer, or what ``corrupt`` makes of a 2xx one."""
    start: Message = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    status = int(start.get("status", 500))
    given = list(start.get("headers", []))
    content_type = dict(given).get(b"content-type", b"").decode("latin-1")
    body = b"".join(chunks)
    broken = corrupt(content_type, body) if 200 <= status < 300 else None
    if broken is not None:
        content_type, body = broken
    headers = [
        (k, v) for k, v in given if k not in (b"content-type", b"content-length")
    ]
    headers += [
        (b"content-type", content_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
