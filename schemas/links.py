"""Link-table records: which source entity is which target, and what was synced."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field

from schemas.base import EventModel
from schemas.utc import utc_now


class Link(EventModel):
    """One row of a flow's link table, keyed by the source entity's id.

    ``synced`` holds, per property row, the canonical value both sides last agreed
    on; a change is a value that differs from it (DESIGN.md rules 3 and 4).
    ``source_seen_at``/``target_seen_at`` are the newest modification times seen
    or written on each side, so replayed or echoed events are recognised as old.

    ``target_deleted_at`` makes the row a *tombstone* (DESIGN.md rule 17): the
    target was deleted and the source kept, so the pair is unlinked, and the
    row stays only to remember that: a re-read of the source does not create
    the target again. Nothing routes by a tombstone and ``verify`` must not
    count it as a link; it goes when the source is deleted too.
    """

    flow: str
    source_id: str
    target_id: str
    synced: dict[str, Any] = Field(default_factory=dict)
    source_seen_at: AwareDatetime | None = None
    target_seen_at: AwareDatetime | None = None
    linked_at: AwareDatetime = Field(default_factory=utc_now)
    how: str = "created"
    # Value-keyed flows only: each distinct (normalised) value -> its target id.
    value_targets: dict[str, str] = Field(default_factory=dict)
    target_deleted_at: AwareDatetime | None = None

    @property
    def tombstone(self) -> bool:
        """Whether this row only remembers a deleted target (no link)."""
        return self.target_deleted_at is not None

    def deleted_target(self) -> Link:
        """A tombstone of this link: its target was deleted, the source kept."""
        return self.model_copy(update={"target_deleted_at": utc_now(), "synced": {}})

    def seen(self, *, source: datetime | None, target: datetime | None) -> Link:
        """A copy with the newest modification times of both sides."""
        return self.model_copy(
            update={
                "source_seen_at": _newest(self.source_seen_at, source),
                "target_seen_at": _newest(self.target_seen_at, target),
            }
        )


def _newest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


class LinkOp(StrEnum):
    """Whether a notice adds or removes a link."""

    LINK = "link"
    UNLINK = "unlink"


class LinkNotice(EventModel):
    """Published when a link appears or goes, keyed by the *target* id.

    The flow's router uses it to send target-side changes to the right source id;
    other services may subscribe to see the id pairs.
    """

    flow: str
    source_id: str
    target_id: str
    op: LinkOp = LinkOp.LINK
    at: AwareDatetime = Field(default_factory=utc_now)
