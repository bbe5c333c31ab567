"""The client of a system on our REST contract: a bearer key, and its list bodies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base.auth import BearerAuth
from connectors.base.client import HttpClient
from connectors.customrest.settings import CustomRestSettings

NEXT_PAGE = "next_page"
"""The list body's field naming the next page (``null`` on the last)."""


def build_client(
    settings: CustomRestSettings, *, system: str, **options: Any
) -> HttpClient:
    """The client of ``system``: its API key as a bearer token.

    Args:
        settings: The system's settings.
        system: The system id (``customcrm``).
        **options: Further ``HttpClient.from_settings`` arguments (``transport``).
    """
    auth = BearerAuth(settings.api_key)
    return HttpClient.from_settings(settings, system=system, auth=auth, **options)


def rows(client: HttpClient, path: str, body: Any) -> list[Any]:
    """The records of a list body; a malformed page error for any other shape."""
    data = body.get("data") if isinstance(body, Mapping) else None
    # Without ``next_page`` the listing would look finished after this page and
    # the pages after it would be skipped without a word.
    if not isinstance(data, list) or NEXT_PAGE not in body:
        if body is None:
            got = "an empty body"
        elif isinstance(body, Mapping):
            got = f"an object with {', '.join(sorted(map(str, body))) or 'no keys'}"
        else:
            got = f"a JSON {type(body).__name__}"
        problem = f'expected {{"data": [...], "next_page": ...}}, got {got}'
        error = client.shape_error("GET", path, problem, body)
        raise error
    return data
