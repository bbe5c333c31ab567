"""Flow definitions: which entity type syncs with which, and how each property maps.

A ``DataflowDocument`` corresponds to one Sesam-Talk-style dataflow document
(``Webcrm to Customcrm``); each of its ``Flow`` entries is one section of it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from schemas.base import EventModel, NonEmptyStr
from schemas.catalog import SYSTEMS


class DataType(StrEnum):
    """The target data types the documents' "Data Type" column can carry."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    DATE = "date"


class RowOrigin(StrEnum):
    """Where a property row comes from: the seed documents, or tether's own mapping."""

    SEED = "seed"
    TETHER = "tether"


class TargetMode(StrEnum):
    """How the flow's target entities come to exist."""

    ENTITY = "entity"  # one target per source; created when no match exists
    VALUE_KEYED = "value_keyed"  # one target per distinct value; matched, never created
    LOOKUP_ONLY = "lookup_only"  # targets cannot be created: link by matching only


class DeletePolicy(StrEnum):
    """What a delete on either side does to the other (DESIGN.md rule 11)."""

    UNLINK = "unlink"
    PROPAGATE = "propagate"


class EntityRef(EventModel):
    """A (system, type) pair such as ``webcrm``/``Organisations``."""

    system: str
    type: str

    @model_validator(mode="after")
    def _known(self) -> EntityRef:
        info = SYSTEMS.get(self.system)
        if info is None:
            msg = f"unknown system {self.system!r}; known: {', '.join(sorted(SYSTEMS))}"
            raise ValueError(msg)
        if self.type not in info.types:
            known = ", ".join(info.types)
            msg = f"unknown type {self.type!r} of {info.display}; known: {known}"
            raise ValueError(msg)
        return self


class PropertyRow(EventModel):
    """One mapped property: source path -> target path, coerced to ``data_type``.

    ``references`` names another flow whose links translate this value (an id of
    that flow's source entity) into the id of its target entity, e.g. a person's
    organisation id becomes the contact's customer id.
    """

    source: NonEmptyStr
    target: NonEmptyStr
    data_type: DataType = DataType.STRING
    source_type: DataType = DataType.STRING
    origin: RowOrigin = RowOrigin.TETHER
    references: str | None = None
    # A reference that may stay unresolved (e.g. an invoice paid by a person when
    # only companies are linked): mapped to empty at once instead of waiting.
    optional: bool = False


class MatchKey(EventModel):
    """A natural key: a source path and a target path compared after normalising."""

    source: str
    target: str
    normalize: str = "text"


class Flow(EventModel):
    """One section of a dataflow document: a source type synced with a target type."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    source: EntityRef
    target: EntityRef
    properties: list[PropertyRow] = Field(default_factory=list)
    match_keys: list[MatchKey] = Field(default_factory=list)
    target_mode: TargetMode = TargetMode.ENTITY
    delete_policy: DeletePolicy = DeletePolicy.UNLINK

    @property
    def depends_on(self) -> list[str]:
        """Flows whose links this flow's references need."""
        return sorted({r.references for r in self.properties if r.references})


class DataflowDocument(EventModel):
    """All flows of one dataflow document, from one system to another."""

    source_system: str
    target_system: str
    flows: list[Flow]
    # How this document spells the systems when it differs from the catalog's
    # display name (the seed "Tidsbanken to Custom Webshop" says "Custom Webshop").
    source_display: str | None = None
    target_display: str | None = None

    @property
    def source_name(self) -> str:
        """The source system as this document spells it."""
        return self.source_display or SYSTEMS[self.source_system].display

    @property
    def target_name(self) -> str:
        """The target system as this document spells it."""
        return self.target_display or SYSTEMS[self.target_system].display

    @property
    def title(self) -> str:
        """The document title without the trailing word "Dataflow"."""
        return f"{self.source_name} to {self.target_name}"

    @model_validator(mode="after")
    def _display_names(self) -> DataflowDocument:
        pairs = (
            (self.source_system, self.source_display),
            (self.target_system, self.target_display),
        )
        for system, display in pairs:
            if system not in SYSTEMS:
                msg = f"unknown system {system!r}; known: {', '.join(sorted(SYSTEMS))}"
                raise ValueError(msg)
            if display is None:
                continue
            info = SYSTEMS[system]
            if display not in (info.display, *info.aliases):
                spellings = ", ".join(repr(s) for s in (info.display, *info.aliases))
                msg = (
                    f"{display!r} is not a spelling of {system}; use one of {spellings}"
                )
                raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _unique_names(self) -> DataflowDocument:
        names = [f.name for f in self.flows]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            msg = f"duplicate flow names: {', '.join(duplicates)}"
            raise ValueError(msg)
        return self
