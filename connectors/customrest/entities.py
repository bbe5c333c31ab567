"""How a type on our REST contract is declared: ``Id``, ``UpdatedAt``, ``Deleted``."""

from __future__ import annotations

from connectors.base.entity import EntitySpec
from connectors.base.protocols import Capabilities
from schemas.base import WireModel

_ALL = Capabilities(create=True, update=True, delete=True)


def rest_entity(name: str, path: str, model: type[WireModel]) -> EntitySpec:
    """A type of our contract: every one is created, updated and soft-deleted."""
    return EntitySpec(name, path, model, "Id", "UpdatedAt", _ALL, "Deleted")
