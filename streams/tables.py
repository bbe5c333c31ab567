"""faust tables as the engine's key-value stores: RocksDB link tables and the
one-partition shared tables (id map, cursors) every worker holds whole."""

from __future__ import annotations

from typing import Any

import faust
from faust.stores.rocksdb import Store as RocksDBStore
from faust.tables.globaltable import GlobalTable

from streams.settings import StreamSettings

# Table keys are ids as text; values JSON (links, cursors, id pairs).
TABLE_SCHEMA: faust.Schema[str, Any] = faust.Schema(
    key_type=str, value_type=None, key_serializer="raw", value_serializer="json"
)


def rocksdb_options(settings: StreamSettings) -> dict[str, Any]:
    """RocksDB sizes of one table partition (faust's own: 2 GiB cache, 3x64 MiB).

    There is one database per table partition, so faust's defaults, multiplied
    by three tables per flow and the partitions, would let a worker grow to
    gigabytes; reads of links are point look-ups that need little cache.
    """
    return {
        "block_cache_size": settings.rocksdb_block_cache_mb * 2**20,
        "write_buffer_size": settings.rocksdb_write_buffer_mb * 2**20,
        "max_write_buffer_number": settings.rocksdb_write_buffers,
        "max_open_files": settings.rocksdb_max_open_files,
    }


def partitioned_table(
    app: faust.App, name: str, partitions: int, settings: StreamSettings
) -> Any:
    """A RocksDB table co-partitioned with the flow topics."""
    return app.Table(
        name,
        partitions=partitions,
        schema=TABLE_SCHEMA,
        options=rocksdb_options(settings),
        # Recovery writes a batch per database at once: faust's 1,000 makes a
        # million-link recovery thousands of small RocksDB writes.
        recovery_buffer_size=settings.table_recovery_batch,
    )


class _OnePartitionRocksDB(RocksDBStore):
    """faust's RocksDB store for a one-partition table written outside a stream.

    faust picks the database of a write by the partition of the event being
    processed, and fails without one (the poller writes from a timer); a
    one-partition table has a single database.
    """

    def _set(self, key: bytes, value: bytes | None) -> None:
        self._db_for_partition(0).put(key, value)


class _SharedTable(GlobalTable):
    """A one-partition global table that may be written outside a stream.

    Every worker holds all of it, so any flow can resolve references and any
    leader can resume polling. Small ones live in memory, rebuilt from their
    compacted changelog at start. A large one (the id map: two entries per link
    of every flow) lives on disk in RocksDB instead, like the link tables: a
    restart reads only what its database has not seen yet, and the worker's
    memory does not grow with the number of links. With one partition the
    changelog partition is always 0, which spares a metadata look-up before the
    first write.
    """

    def __init__(self, *args: Any, on_disk_url: str | None, **kwargs: Any) -> None:
        self._on_disk_url = on_disk_url
        super().__init__(*args, **kwargs)

    @property
    def on_disk(self) -> bool:
        """Whether this table lives in RocksDB."""
        return self._on_disk_url is not None

    def partition_for_key(self, key: Any) -> int | None:
        return 0

    def _new_store(self) -> Any:
        if self._on_disk_url is not None:
            return _OnePartitionRocksDB(
                self._on_disk_url,
                self.app,
                self,
                table_name=self.name,
                key_type=self.key_type,
                key_serializer=self.key_serializer,
                value_serializer=self.value_serializer,
                value_type=self.value_type,
                loop=self.loop,
                options=self.options,
            )
        # faust tests ``self._store or app.conf.store``, and ``URL("memory://")``
        # is falsy, so a per-table memory store must be asked for explicitly.
        return self._new_store_by_url("memory://")


def shared_table(
    app: faust.App,
    name: str,
    settings: StreamSettings | None = None,
    *,
    on_disk: bool = False,
) -> Any:
    """A global one-partition table, rebuilt from its changelog.

    In memory, or ``on_disk`` in RocksDB when the worker's store is RocksDB.
    """
    url = None
    options = None
    if on_disk and settings is not None and settings.store.startswith("rocksdb:"):
        url = settings.store
        options = rocksdb_options(settings)
    table = _SharedTable(
        app,
        name=name,
        partitions=1,
        recovery_buffer_size=1,  # faust's advice for global tables (see its docs)
        schema=TABLE_SCHEMA,
        is_global=True,
        beacon=app.tables.beacon,
        options=options,
        on_disk_url=url,
    )
    return app.tables.add(table)


def rocksdb_tables(app: faust.App) -> list[Any]:
    """The app's tables whose store is RocksDB, without opening any of them."""
    found = []
    for table in app.tables.values():
        if isinstance(table, _SharedTable):
            if table.on_disk:
                found.append(table)
        elif str(table._store or app.conf.store).startswith("rocksdb:"):  # noqa: SLF001
            found.append(table)
    return found
