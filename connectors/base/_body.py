"""Response bodies: lenient JSON decoding, and the errors for unusable ones."""

from __future__ import annotations

import json
from typing import Any

import httpx
import orjson

from connectors.errors import SyncError, unusable_answer
from schemas.text import scrub

EXCERPT_BYTES = 200
"""How much of an unusable body a ``MalformedResponseError`` keeps."""


class JsonBodies:
    """Reads response bodies as JSON, and names the errors of unusable ones.

    Attributes:
        system: System id for messages.
        base_url: Root URL, whose path messages show.
    """

    system: str
    base_url: str

    def decode_json(self, response: httpx.Response) -> Any:
        """The decoded JSON body (``None`` when empty).

        Invalid UTF-8 does not fail the body: it is decoded with
        ``surrogateescape``, so only the records holding such bytes are refused
        (by their wire models), not the whole page. NaN and Infinity literals
        are read too, and refused per record the same way.

        Raises:
            MalformedResponseError: A ``GET`` answered with a body that is not
                JSON (an HTML error page with status 200, XML, truncated text);
                the server may send a proper page next time.
            FatalError: Any other request did (a write must not be repeated
                blindly, and usually it means ``base_url`` points at a web site).
        """
        content = response.content
        if not content:
            return None
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            strict_error = exc
        try:
            # The slow path: orjson refuses invalid UTF-8 and NaN outright, the
            # standard library reads both (the bytes as lone surrogates).
            return json.loads(content.decode("utf-8", "surrogateescape"))
        except (ValueError, RecursionError):
            pass
        kind = response.headers.get("Content-Type", "no content type")
        problem = _not_json(content, kind, strict_error)
        request = response.request
        where = f"{self.system} {request.method} {request.url.path}"
        where = f"{where} -> {response.status_code}"
        msg = f"{where} sent {problem}"
        if request.method != "GET":
            msg += f"; check {self.system} base_url"
        raise unusable_answer(
            request.method,
            msg,
            status=response.status_code,
            content_type=kind,
            excerpt=content[:EXCERPT_BYTES].decode("utf-8", "replace"),
        ) from strict_error

    def shape_error(
        self, method: str, path: str, problem: str, body: Any = None
    ) -> SyncError:
        """The error for a body whose shape the connector cannot use.

        A listing (``GET``) is read again later (``MalformedResponseError``,
        keeping the start of ``body`` for the operator); a write's answer is a
        ``FatalError``, since repeating it is not safe. The message shows the
        path under ``base_url``, as the status errors do, without the query.
        """
        root = httpx.URL(self.base_url).path.rstrip("/")
        full = f"{root}/{path.partition('?')[0].lstrip('/')}"
        msg = f"{self.system} {method} {full}: {problem}"
        shown = orjson.dumps(scrub(body))[:EXCERPT_BYTES]
        return unusable_answer(method, msg, excerpt=shown.decode("utf-8", "replace"))


def _not_json(content: bytes, content_type: str, error: Exception) -> str:
    """What an unparseable body is, in words, for the operator."""
    head = content[:512].lstrip().lower()
    size = f"{len(content)} bytes"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return f"an HTML page instead of JSON ({content_type}, {size})"
    if head.startswith(b"<"):
        return f"XML or markup instead of JSON ({content_type}, {size})"
    if "unexpected end" in str(error).lower() or "eof" in str(error).lower():
        return f"truncated JSON ({content_type}, body ends after {size})"
    return f"a body that is not JSON ({content_type}, {size})"
