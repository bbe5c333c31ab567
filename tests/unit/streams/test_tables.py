"""Table stores: RocksDB sizes from the settings, the id map on disk in RocksDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust
import pytest

from streams.settings import StreamSettings
from streams.tables import partitioned_table, rocksdb_options, shared_table


def _app(tmp_path: Path) -> faust.App:
    return faust.App(
        "tables-test", datadir=str(tmp_path), store="rocksdb://", autodiscover=False
    )


def _settings(**values: Any) -> StreamSettings:
    return StreamSettings(**values)


def test_rocksdb_sizes_come_from_the_settings() -> None:
    settings = _settings(
        rocksdb_block_cache_mb=16,
        rocksdb_write_buffer_mb=2,
        rocksdb_write_buffers=3,
        rocksdb_max_open_files=100,
    )
    assert rocksdb_options(settings) == {
        "block_cache_size": 16 * 2**20,
        "write_buffer_size": 2 * 2**20,
        "max_write_buffer_number": 3,
        "max_open_files": 100,
    }


def test_a_link_table_is_opened_with_them_and_recovers_in_large_batches(
    tmp_path: Path,
) -> None:
    settings = _settings(rocksdb_block_cache_mb=4, table_recovery_batch=5000)
    table = partitioned_table(_app(tmp_path), "flow-links", 4, settings)
    options = table.data.rocksdb_options
    assert options.block_cache_size == 4 * 2**20
    assert options.write_buffer_size == settings.rocksdb_write_buffer_mb * 2**20
    assert table.recovery_buffer_size == 5000


def test_the_id_map_lives_in_rocksdb_and_takes_writes_outside_a_stream(
    tmp_path: Path,
) -> None:
    table = shared_table(_app(tmp_path), "idmap", _settings(), on_disk=True)
    store = table.data
    # No event is being processed: faust's own RocksDB store would fail here.
    store["flow/s/1"] = "t-1"
    store["flow/t/t-1"] = "1"
    assert store["flow/s/1"] == "t-1"
    assert store.get("flow/s/2") is None
    del store["flow/s/1"]
    assert "flow/s/1" not in store
    assert list(tmp_path.rglob("idmap-0.db")), "no RocksDB database on disk"
    assert store.rocksdb_options.block_cache_size == 8 * 2**20


@pytest.mark.parametrize(
    ("settings", "on_disk"),
    [(_settings(), False), (_settings(store="memory://"), True), (None, True)],
)
def test_other_shared_tables_stay_in_memory(
    tmp_path: Path, settings: StreamSettings | None, on_disk: bool
) -> None:
    table = shared_table(_app(tmp_path), "cursors", settings, on_disk=on_disk)
    table.data["key"] = {"a": 1}
    assert table.data["key"] == {"a": 1}
    assert not list(tmp_path.rglob("*.db"))
