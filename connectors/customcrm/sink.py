"""``CustomcrmSink``: writes Customer, Contact and Product."""

from __future__ import annotations

from connectors.base.customrest import CustomRestSink
from connectors.customcrm.client import ENTITIES, SYSTEM


class CustomcrmSink(CustomRestSink):
    """Creates (idempotent by key), updates (partial), soft-deletes."""

    system = SYSTEM
    specs = ENTITIES
