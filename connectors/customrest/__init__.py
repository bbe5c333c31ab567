"""Our own generic REST contract, shared by Customcrm and Customwebshop.

Contract: ``Authorization: Bearer <key>``;
``GET /{res}?updated_since=<ISO>&page=&page_size=`` -> ``{"data": [...],
"next_page": n | null}``, inclusive and ordered by ``UpdatedAt`` then ``Id``, with
soft-deleted records (``Deleted: true``); equality filters ``GET /{res}?Field=v``;
``GET /{res}/{Id}``; ``POST /{res}`` -> 201 object (``Idempotency-Key`` makes a
repeat return the original); ``PUT /{res}/{Id}`` partial -> 200 object;
``DELETE /{res}/{Id}`` soft -> 204; 429 with ``Retry-After``.
"""

from __future__ import annotations

from connectors.customrest.client import NEXT_PAGE, build_client, rows
from connectors.customrest.entities import rest_entity
from connectors.customrest.settings import CustomRestSettings
from connectors.customrest.sink import CustomRestSink
from connectors.customrest.source import CustomRestSource

__all__ = [
    "NEXT_PAGE",
    "CustomRestSettings",
    "CustomRestSink",
    "CustomRestSource",
    "build_client",
    "rest_entity",
    "rows",
]
