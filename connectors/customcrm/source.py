"""``CustomcrmSource``: Customer, Contact and Product changes."""

from __future__ import annotations

from connectors.customcrm.client import SYSTEM
from connectors.customcrm.entities import ENTITIES
from connectors.customrest.source import CustomRestSource


class CustomcrmSource(CustomRestSource):
    """Reads Customcrm changes; soft-deleted records become delete events."""

    system = SYSTEM
    specs = ENTITIES
