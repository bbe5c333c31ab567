"""``CustomcrmSource``: Customer, Contact and Product changes."""

from __future__ import annotations

from connectors.base.customrest import CustomRestSource
from connectors.customcrm.client import ENTITIES, SYSTEM


class CustomcrmSource(CustomRestSource):
    """Reads Customcrm changes; soft-deleted records become delete events."""

    system = SYSTEM
    specs = ENTITIES
