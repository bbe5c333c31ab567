"""Tidsbanken's entity types: Avdeling (departments) and Kunde (customers)."""

from __future__ import annotations

from connectors.base.entity import EntitySpec
from connectors.base.protocols import Capabilities
from schemas.tidsbanken import Avdeling, Kunde

TIME_FIELD = "SistEndretDato"

_WRITABLE = Capabilities(create=True, update=True, delete=False)

ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec("Avdeling", "ansatt/avdeling", Avdeling, "Id", TIME_FIELD, _WRITABLE),
    EntitySpec("Kunde", "prosjekt/Kunde", Kunde, "Id", TIME_FIELD, _WRITABLE),
)
"""Tidsbanken's types. Both are created with a client-chosen ``Id`` and updated
(Kunde by ``PUT`` of an array, Avdeling by ``PATCH``); nothing can be deleted."""
