"""``CustomwebshopSource``: Customer, Product and Order changes."""

from __future__ import annotations

from connectors.base.customrest import CustomRestSource
from connectors.customwebshop.client import ENTITIES, SYSTEM


class CustomwebshopSource(CustomRestSource):
    """Reads Customwebshop changes; soft-deleted records become delete events."""

    system = SYSTEM
    specs = ENTITIES
