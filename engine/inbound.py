"""What arrives from a topic: a decoded model, or a value that failed to decode."""

from __future__ import annotations

from dataclasses import dataclass

from engine.delivery import dead_letter
from schemas.dataflow import Flow
from schemas.envelope import DeadLetter

# Where a message came from: topic, partition, offset (named in dead letters).
Where = tuple[str, int, int]


@dataclass(frozen=True)
class Undecodable:
    """A message value that is not a valid instance of its topic's model."""

    topic: str
    reason: str
    raw: bytes | None

    def text(self) -> str | None:
        """The raw value as text for a dead letter (lossy, bounded)."""
        if self.raw is None:
            return None
        return self.raw.decode("utf-8", "replace")[:10_000]


def undecodable_letter(
    flow: Flow, key: str, value: Undecodable, where: Where
) -> DeadLetter:
    """The dead letter of a message that is no valid instance of its topic's model."""
    # Named by the entity topic it came from (``{app}.{system}.{Type}``), so
    # the letter says which system's record it was.
    system, entity = next(
        (
            (ref.system, ref.type)
            for ref in (flow.source, flow.target)
            if value.topic.endswith(f".{ref.system}.{ref.type}")
        ),
        ("", ""),
    )
    return dead_letter(
        value.reason,
        stage="decode",
        flow=flow.name,
        where=where,
        system=system,
        entity=entity,
        record_id=key or "",
        payload=value.text(),
    )
