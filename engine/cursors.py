"""Where each source type has read up to, kept in a key-value store of any size.

A cursor is small for a change feed (a time and a few ids), but a type listed
in full keeps a fingerprint of every record in it
(``connectors.base.snapshot``): about 20 bytes a record, 2 MB at 100,000. The
store is a faust table whose every value is one Kafka message on its changelog,
and a message is limited (1 MB by default), so a large cursor is kept in
chunks: its ``boundary_ids`` split into lists of at most ``max_value_bytes``,
each under a key named after its content (``system/Type#<digest>``), and a
small head under ``system/Type`` listing them in order.

Chunk borders fall where an entry's hash says so (content-defined, like rsync),
not every n entries: the ids are sorted, so a new or changed record changes
only the chunk it falls in, and a poll that saw one change writes one chunk and
the head, not the whole listing. Chunks are written before the head that names
them and removed only after it, so a crash in between leaves the old cursor
whole or the new one whole; a chunk found missing reads as no cursor at all (a
full re-read, which the flows absorb). Stray chunks of a type are removed on
its next save.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib

from engine.stores import Store
from schemas.envelope import Cursor

log = logging.getLogger(__name__)

CHUNK_MARK = "#"
"""Separates a head's key from the content digest of one of its chunks."""

# A border after an entry whose hash is divisible by this: chunks of about 2,000
# entries (40 kB of typical "id=fingerprint" entries), far below any sane limit.
_SPREAD = 2048
# A cursor's JSON beyond its entries: the keys, the time, brackets.
_HEAD_BYTES = 100


class CursorTable:
    """Each (system, type)'s cursor, chunked when it is too large for one value.

    Args:
        store: Any key-value store of JSON values (a faust table in a worker).
        max_value_bytes: The largest JSON value to write under one key.
    """

    def __init__(self, store: Store, *, max_value_bytes: int = 256_000) -> None:
        self._store = store
        self._max = max_value_bytes

    def load(self, system: str, entity: str) -> Cursor | None:
        """The saved cursor of ``system``/``entity``, if any."""
        head_key = _head(system, entity)
        raw = self._store.get(head_key)
        if not raw:
            return None
        chunks = raw.get("chunks")
        if chunks is None:
            return Cursor.model_validate(raw)
        entries: list[str] = []
        for name in chunks:
            part = self._store.get(f"{head_key}{CHUNK_MARK}{name}")
            if part is None:
                log.warning(
                    "cursor %s: chunk %s is missing; reading everything again",
                    head_key,
                    name,
                )
                return None
            entries.extend(part)
        if len(entries) != raw.get("entries", len(entries)):
            log.warning(
                "cursor %s: chunks disagree; reading everything again", head_key
            )
            return None
        return Cursor(since=raw.get("since"), boundary_ids=tuple(entries))

    async def save(self, system: str, entity: str, cursor: Cursor) -> None:
        """Remember ``cursor`` (called only once its page is delivered)."""
        head_key = _head(system, entity)
        value = cursor.model_dump(mode="json")
        names: list[str] = []
        # An upper bound, cheaper than encoding two megabytes on every page.
        size = sum(map(_entry_size, cursor.boundary_ids)) + _HEAD_BYTES
        if size <= self._max:
            self._store[head_key] = value
        else:
            for chunk in _chunks(cursor.boundary_ids, self._max):
                name = _digest(chunk)
                key = f"{head_key}{CHUNK_MARK}{name}"
                if key not in self._store:
                    self._store[key] = chunk
                names.append(name)
            self._store[head_key] = {
                "since": value["since"],
                "chunks": names,
                "entries": len(cursor.boundary_ids),
            }
        self._drop_stale(head_key, set(names))

    def _drop_stale(self, head_key: str, keep: set[str]) -> None:
        prefix = f"{head_key}{CHUNK_MARK}"
        stale = [
            key
            for key in list(self._store)
            if key.startswith(prefix) and key[len(prefix) :] not in keep
        ]
        for key in stale:
            del self._store[key]


def _head(system: str, entity: str) -> str:
    return f"{system}/{entity}"


def _chunks(entries: tuple[str, ...], max_bytes: int) -> list[list[str]]:
    """``entries`` in order, split at content-defined borders, each chunk's JSON
    at most ``max_bytes``."""
    chunks: list[list[str]] = []
    chunk: list[str] = []
    size = 2  # the list's brackets
    for entry in entries:
        entry_size = _entry_size(entry)
        if chunk and size + entry_size > max_bytes:
            chunks.append(chunk)
            chunk, size = [], 2
        chunk.append(entry)
        size += entry_size
        if zlib.crc32(entry.encode("utf-8", "surrogatepass")) % _SPREAD == 0:
            chunks.append(chunk)
            chunk, size = [], 2
    if chunk:
        chunks.append(chunk)
    return chunks


def _entry_size(entry: str) -> int:
    """An upper bound of ``entry``'s JSON in a list, its comma included."""
    if (
        entry.isascii()
        and entry.isprintable()
        and '"' not in entry
        and "\\" not in entry
    ):
        return len(entry) + 3
    return len(json.dumps(entry)) + 1  # ensure_ascii: the longest escaping there is


def _digest(chunk: list[str]) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for entry in chunk:
        digest.update(entry.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()
