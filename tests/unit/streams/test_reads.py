"""Table reads in one store look-up; writes still through the table."""

from __future__ import annotations

from typing import Any

from streams.reads import DirectReads


class Store(dict[str, Any]):
    def __init__(self) -> None:
        super().__init__()
        self.contains = 0

    def __contains__(self, key: object) -> bool:
        self.contains += 1
        return super().__contains__(key)


class Table(dict[str, Any]):
    """A faust table's shape: writes here, its store in ``data``."""

    def __init__(self) -> None:
        super().__init__()
        self.data = Store()

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.data[key] = value

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        del self.data[key]


def test_reads_skip_the_containment_check_and_writes_reach_the_table():
    table = Table()
    reads = DirectReads(table)
    reads["a"] = {"x": 1}
    assert table["a"] == {"x": 1}
    assert reads.get("a") == {"x": 1}
    assert reads.get("b") is None
    assert reads["a"] == {"x": 1}
    assert table.data.contains == 0
    del reads["a"]
    assert "a" not in reads
    assert len(reads) == 0
    assert list(reads) == []
