"""What ``tether explain`` finds: the chain of linked entities and their timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, order=True)
class Node:
    """One entity of one system: ``system/type/id``."""

    system: str
    type: str
    id: str

    def __str__(self) -> str:
        return f"{self.system}/{self.type}/{self.id}"


@dataclass(frozen=True)
class Hop:
    """A link of one flow between two entities of the chain.

    ``state`` is ``linked`` while the flow's link table holds the pair,
    ``unlinked`` once the row went or points elsewhere, ``target deleted`` for
    a tombstone (the target was deleted, the source kept).
    """

    flow: str
    source: Node
    target: Node
    state: str = "linked"
    how: str = ""
    linked_at: datetime | None = None

    @property
    def current(self) -> bool:
        """Whether the flow links the pair now."""
        return self.state == "linked"


@dataclass
class Chain:
    """The entity asked about and every entity linked to it, hop by hop.

    ``nodes`` in the order they were reached (the start first); ``unlinked``
    lists, per entity, the flows it is a source of without a link.
    """

    start: Node
    nodes: list[Node] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)
    unlinked: dict[Node, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    """One thing that happened to an entity of the chain.

    ``kind``: ``change`` (a change event seen), a write's op (``create``,
    ``update``, ``delete``, ``match``, ``unlink``), ``link`` / ``unlinked``
    (the link table), ``conflict``, ``dead letter`` or ``report``.
    ``details`` are lines under the summary (one per property written);
    ``record`` is the record it was read from, for ``--json``.
    """

    at: datetime
    node: Node
    kind: str
    summary: str
    flow: str = ""
    details: tuple[str, ...] = ()
    record: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class Explanation:
    """Everything ``tether explain`` knows about one entity, in time order."""

    app_id: str
    chain: Chain
    entries: list[Entry] = field(default_factory=list)

    @property
    def found(self) -> bool:
        """Whether anything at all is known about the entity asked about."""
        return bool(self.entries) or bool(self.chain.hops)
