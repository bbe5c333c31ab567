"""What arrives from a topic: a decoded model, or a value that failed to decode."""

from __future__ import annotations

from dataclasses import dataclass

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
