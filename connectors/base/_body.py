"""Response bodies: lenient JSON decoding, and the errors for unusable ones."""

from __future__ import annotations

import json
from typing import Any

import httpx
import orjson

from connectors.errors import FatalError, MalformedResponseError, SyncError
from schemas.text import scrub

EXCERPT_BYTES = 200
"""How much of an unusable body a ``MalformedResponseError`` keeps."""


def decode_json(response: httpx.Response, system: str) -> Any:
    """The decoded JSON body (``None`` when empty); see ``HttpClient.decode_json``."""
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
    where = f"{system} {request.method} {request.url.path} -> {response.status_code}"
    if request.method != "GET":
        msg = f"{where} sent {problem}; check {system} base_url"
        raise FatalError(msg) from strict_error
    msg = f"{where} sent {problem}"
    raise MalformedResponseError(
        msg,
        status=response.status_code,
        content_type=kind,
        excerpt=content[:EXCERPT_BYTES].decode("utf-8", "replace"),
    ) from strict_error


def shape_error(
    system: str, base_url: str, method: str, path: str, problem: str, body: Any
) -> SyncError:
    """The error for a body of the wrong shape; see ``HttpClient.shape_error``."""
    # Same path as the status errors show: under base_url, without the query.
    root = httpx.URL(base_url).path.rstrip("/")
    full = f"{root}/{path.partition('?')[0].lstrip('/')}"
    msg = f"{system} {method} {full}: {problem}"
    if method.upper() == "GET":
        shown = orjson.dumps(scrub(body))[:EXCERPT_BYTES].decode("utf-8", "replace")
        return MalformedResponseError(msg, excerpt=shown)
    return FatalError(msg)


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
