"""The Chargebee client (Basic auth, 150/min) and its bodies: forms in, wrappers out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base.auth import BasicAuth
from connectors.base.client import HttpClient, Prepare
from connectors.chargebee._form import filter_list, form_fields
from connectors.chargebee.settings import ChargebeeSettings

SYSTEM = "chargebee"
IDEMPOTENCY_HEADER = "chargebee-idempotency-key"
NEXT_OFFSET = "next_offset"
BUSINESS_ENTITY_EVENTS = (
    "business_entity_created",
    "business_entity_updated",
    "business_entity_deleted",
)


def build_client(settings: ChargebeeSettings, **options: Any) -> HttpClient:
    """The Chargebee client: the API key as Basic user, no password.

    A key cannot be renewed, so a 401 stands and becomes an
    ``AuthenticationError``; 429s are retried after ``Retry-After``.
    """
    auth = BasicAuth(settings.api_key)
    return HttpClient.from_settings(settings, system=SYSTEM, auth=auth, **options)


async def post_form(
    client: HttpClient,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    idempotency_key: str | None = None,
    idempotent: bool = True,
    prepare: Prepare | None = None,
) -> Any:
    """``POST`` ``params`` form-encoded; returns the decoded JSON body.

    Chargebee's writes set values (or replay under an idempotency key), so
    they are retried by default; ``prepare`` runs before each attempt
    (``HttpClient.request``).
    """
    headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else None
    response = await client.request(
        "POST",
        path,
        form=form_fields(params or {}),
        headers=headers,
        idempotent=idempotent,
        prepare=prepare,
    )
    return client.decode_json(response)


def unwrap(client: HttpClient, body: Any, wrapper: str, method: str, path: str) -> Any:
    """The resource in ``{"<wrapper>": {...}}``; a shape error on another shape."""
    if isinstance(body, Mapping) and isinstance(body.get(wrapper), Mapping):
        return body[wrapper]
    problem = f'expected {{"{wrapper}": {{...}}}}'
    error = client.shape_error(method, path, problem)
    raise error


def list_rows(client: HttpClient, body: Any, wrapper: str, path: str) -> list[Any]:
    """The wrapped resources of a list page; an element without it is kept as is.

    An element kept as is fails validation later and becomes a bad record,
    while the rest of the page flows.
    """
    items = body.get("list") if isinstance(body, Mapping) else None
    if not isinstance(items, list):
        problem = 'expected {"list": [...], "next_offset": ...}'
        error = client.shape_error("GET", path, problem)
        raise error
    return [
        item[wrapper]
        if isinstance(item, Mapping) and isinstance(item.get(wrapper), Mapping)
        else item
        for item in items
    ]


async def list_page(
    client: HttpClient, path: str, params: Mapping[str, Any], offset: str | None
) -> Any:
    """One page of a list call (the body); ``offset`` from the page before."""
    query = params if offset is None else {**params, "offset": offset}
    return await client.get_json(path, params=query)


def business_entity_events(page_size: int) -> dict[str, Any]:
    """The list parameters of every business entity event, oldest first."""
    return {
        "limit": page_size,
        "event_type[in]": filter_list(list(BUSINESS_ENTITY_EVENTS)),
        "sort_by[asc]": "occurred_at",
    }
