"""What ``tether verify`` finds: one ``Finding`` per difference, gap or lost link."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from schemas.envelope import ChangeEvent


class Category(StrEnum):
    """The report's sections, in the order they are shown."""

    DIFFERENCES = "differences"
    UNLINKED = "unlinked"
    LOOKUPS = "lookups"
    VANISHED = "vanished"
    INVALID = "invalid"


class Kind(StrEnum):
    """What exactly is wrong; each kind belongs to one ``Category``."""

    DIFFERENCE = "difference"  # a mapped property differs after coercion
    NO_LINK = "no-link"  # a source entity has no link and nothing says why
    LINK_REMOVED = "unlinked"  # the flow removed the link (a side was deleted)
    UNMATCHED = "unmatched"  # the lookup found no target and none can be created
    AMBIGUOUS = "ambiguous-match"  # the lookup found several targets
    SOURCE_MISSING = "source-missing"
    SOURCE_DELETED = "source-deleted"
    TARGET_MISSING = "target-missing"
    TARGET_DELETED = "target-deleted"
    INVALID = "invalid"  # a record fails validation or coercion

    @property
    def category(self) -> Category:
        """The section this kind is reported in."""
        return _CATEGORIES[self]


_CATEGORIES = {
    Kind.DIFFERENCE: Category.DIFFERENCES,
    Kind.NO_LINK: Category.UNLINKED,
    Kind.LINK_REMOVED: Category.UNLINKED,
    Kind.UNMATCHED: Category.LOOKUPS,
    Kind.AMBIGUOUS: Category.LOOKUPS,
    Kind.SOURCE_MISSING: Category.VANISHED,
    Kind.SOURCE_DELETED: Category.VANISHED,
    Kind.TARGET_MISSING: Category.VANISHED,
    Kind.TARGET_DELETED: Category.VANISHED,
    Kind.INVALID: Category.INVALID,
}


@dataclass(frozen=True)
class Finding:
    """One thing that is not as the flow definitions say it should be.

    Values are the canonical (coerced) forms the engine compares, so ``"25"``
    and ``25.0`` mapped to a decimal are never reported as different.
    """

    kind: Kind
    flow: str
    source_id: str = ""
    target_id: str = ""
    property: str = ""
    source_value: Any = None
    target_value: Any = None
    detail: str = ""
    candidates: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (kind and category as text)."""
        return {
            "kind": self.kind.value,
            "category": self.kind.category.value,
            "flow": self.flow,
            "source_id": self.source_id,
            "target_id": self.target_id,
            "property": self.property,
            "source_value": self.source_value,
            "target_value": self.target_value,
            "detail": self.detail,
            "candidates": list(self.candidates),
        }


@dataclass(frozen=True)
class Listing:
    """One entity type in full, as its system lists it.

    ``events`` holds every readable record by id (deletes included, as delete
    events); ``invalid`` the ids of records that fail validation, with why.
    """

    events: dict[str, ChangeEvent] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FlowCheck:
    """The outcome of checking one flow."""

    flow: str
    links: int
    sources: int
    targets: int
    findings: list[Finding]


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking every selected flow of a deployment."""

    app_id: str
    flows: list[FlowCheck]

    @property
    def findings(self) -> list[Finding]:
        """Every finding, flow by flow."""
        return [f for check in self.flows for f in check.findings]

    @property
    def ok(self) -> bool:
        """True when every link matches and nothing is missing."""
        return not any(check.findings for check in self.flows)

    def counts(self) -> dict[str, int]:
        """Links checked and findings per category (every category present)."""
        by_category = Counter(f.kind.category for f in self.findings)
        counts = {"flows": len(self.flows), "links": sum(c.links for c in self.flows)}
        counts.update({c.value: by_category.get(c, 0) for c in Category})
        return counts
