"""Crmoffice's entity types: companies, contacts and activities."""

from __future__ import annotations

from connectors.base.entity import EntitySpec
from connectors.base.protocols import Capabilities
from schemas.base import WireModel
from schemas.crmoffice import Activity, Company, Contact

_WRITABLE = Capabilities(create=True, update=True, delete=False)
_NO_TIME = "is CRMOFFICE_UPDATED_SINCE wrong?"


def _entity(name: str, path: str, model: type[WireModel]) -> EntitySpec:
    # updatedAt is only assumed: a record without one is stamped with when it was
    # seen where that is enough (snapshots, sink reads), refused in the feed.
    return EntitySpec(
        name, path, model, "id", "updatedAt", _WRITABLE, time_hint=_NO_TIME
    )


ENTITIES: tuple[EntitySpec, ...] = (
    _entity("Companies", "companies", Company),
    _entity("Contacts", "contacts", Contact),
    _entity("Activities", "activities", Activity),
)
"""Crmoffice's types in dependency order (contacts point at companies). Users are
served too, but no flow reads them. Creates and updates rest on the ``writes``
assumption (``CrmofficeSink.capabilities``); nothing is deleted."""
