"""``CustomcrmSink``: writes Customer, Contact and Product."""

from __future__ import annotations

from connectors.customcrm.client import SYSTEM
from connectors.customcrm.entities import ENTITIES
from connectors.customrest.sink import CustomRestSink


class CustomcrmSink(CustomRestSink):
    """Creates (idempotent by key), updates (partial), soft-deletes."""

    system = SYSTEM
    specs = ENTITIES
