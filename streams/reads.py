"""A faust table whose reads skip its containment check: one RocksDB look-up.

``table.get(key)`` goes through ``UserDict.__getitem__``, which asks the store
whether it holds the key before reading it: two look-ups (and two key
encodings) per read, on the path of every event. Reads here go to the store
directly; writes and deletes still go through the table (its changelog).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any


class DirectReads(MutableMapping[str, Any]):
    """``table`` as a mapping, read from its store in one look-up."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def __getitem__(self, key: str) -> Any:
        return self._table.data[key]  # the store raises KeyError itself

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self._table.data[key]
        except KeyError:
            return default

    def __setitem__(self, key: str, value: Any) -> None:
        self._table[key] = value

    def __delitem__(self, key: str) -> None:
        del self._table[key]

    def __contains__(self, key: object) -> bool:
        return key in self._table

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)
