"""``CustomwebshopSource``: Customer, Product and Order changes."""

from __future__ import annotations

from connectors.customrest.source import CustomRestSource
from connectors.customwebshop.client import SYSTEM
from connectors.customwebshop.entities import ENTITIES


class CustomwebshopSource(CustomRestSource):
    """Reads Customwebshop changes; soft-deleted records become delete events."""

    system = SYSTEM
    specs = ENTITIES
