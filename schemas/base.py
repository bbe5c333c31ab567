"""Model bases: our own messages forbid extras, external wire models ignore them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class EventModel(BaseModel):
    """A message tether itself defines: frozen, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class WireModel(BaseModel):
    """A record as an external system sends it.

    Extra fields are ignored because systems add fields without notice and we must
    keep reading them; validation still catches wrong types in the fields we map.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
