"""faust tables as the engine's key-value stores: RocksDB link tables and the
one-partition shared tables (id map, cursors) every worker holds whole."""

from __future__ import annotations

from typing import Any

import faust
from faust.tables.globaltable import GlobalTable

# Table keys are ids as text; values JSON (links, cursors, id pairs).
TABLE_SCHEMA: faust.Schema[str, Any] = faust.Schema(
    key_type=str, value_type=None, key_serializer="raw", value_serializer="json"
)
# faust's RocksDB defaults (2 GiB block cache, 3x64 MiB write buffers) are per
# table partition; link tables are small, so a worker with many flows stays lean.
ROCKSDB_OPTIONS = {"block_cache_size": 8 * 2**20, "write_buffer_size": 4 * 2**20}


def partitioned_table(app: faust.App, name: str, partitions: int) -> Any:
    """A RocksDB table co-partitioned with the flow topics."""
    return app.Table(
        name, partitions=partitions, schema=TABLE_SCHEMA, options=ROCKSDB_OPTIONS
    )


class _SharedTable(GlobalTable):
    """A one-partition global table that may be written outside a stream.

    Every worker holds all of it, so any flow can resolve references and any
    leader can resume polling. It lives in memory, rebuilt from its compacted
    changelog at start: faust's RocksDB store only accepts writes made while
    processing an event (its partition picks the database), and the poller
    writes cursors from a timer. With one partition the changelog partition is
    always 0, which spares a metadata look-up before the first write.
    """

    def partition_for_key(self, key: Any) -> int | None:
        return 0

    def _new_store(self) -> Any:
        # faust tests ``self._store or app.conf.store``, and ``URL("memory://")``
        # is falsy, so a per-table memory store must be asked for explicitly.
        return self._new_store_by_url("memory://")


def shared_table(app: faust.App, name: str) -> Any:
    """A global one-partition table in memory, rebuilt from its changelog."""
    table = _SharedTable(
        app,
        name=name,
        partitions=1,
        recovery_buffer_size=1,  # faust's advice for global tables (see its docs)
        schema=TABLE_SCHEMA,
        is_global=True,
        beacon=app.tables.beacon,
    )
    return app.tables.add(table)
