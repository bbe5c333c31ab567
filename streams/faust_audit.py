"""What tether's faust fixes rely on, for the guard test to watch.

``kafka_transport``, ``sequences``, ``acks``, ``tables``, ``preload`` and ``topology``
override or call private parts of faust-streaming and aiokafka (audited at the
versions below). A new version
may rename them or change what they do without any error: the fixes would
silently stop fixing. ``tests/unit/streams/test_faust_audit.py`` fails, naming
what to re-audit, when a version or the source of any of these changes.
"""

from __future__ import annotations

AUDITED_VERSIONS = {"faust-streaming": "0.15.3", "aiokafka": "0.14.0"}

# (module, attribute path) -> why tether depends on it. Functions and classes
# are fingerprinted by their source; see the test.
RELIED_ON: dict[tuple[str, str], str] = {
    ("faust.transport.drivers.aiokafka", "Producer._settings_extra"): (
        "IdempotentProducer adds acks=all and enable_idempotence through it"
    ),
    ("faust.transport.drivers.aiokafka", "Consumer.perform_seek"): (
        "SeekSafeConsumer.perform_seek forgets read offsets around it"
    ),
    ("faust.transport.consumer", "Consumer.perform_seek"): (
        "seeks stream partitions to their committed offsets"
    ),
    ("faust.transport.consumer", "Consumer.resume_flow"): (
        "SeekSafeConsumer.resume_flow seeks flowing partitions again after it"
    ),
    ("faust.transport.consumer", "Consumer.__init__"): (
        "sets _read_offset, _committed_offset and suspend_flow that the fixes use"
    ),
    ("faust.transport.consumer", "Consumer._new_offset"): (
        "SeekSafeConsumer._new_offset never commits past a held message"
    ),
    ("faust.transport.consumer", "Consumer.ack"): (
        "fills _acked and _unacked_messages that streams.inflight.may_commit reads"
    ),
    ("faust.streams", "current_event"): (
        "streams.inflight jobs inherit the event context table writes read"
    ),
    ("faust.transport.consumer", "Consumer._is_changelog_tp"): (
        "tells stream partitions from changelog partitions"
    ),
    ("faust.transport.consumer", "Consumer._drain_messages"): (
        "the ROFF drop that _ReadOffsets keeps from losing refetched messages"
    ),
    ("faust.transport.drivers.aiokafka", "Consumer.seek_wait"): (
        "the seek of never-committed partitions to their beginning"
    ),
    ("faust.transport.drivers.aiokafka", "Consumer.earliest_offsets"): (
        "where never-committed partitions start"
    ),
    ("faust.transport.drivers.aiokafka", "Consumer.pause_partitions"): (
        "holds flowing partitions while they are sought again"
    ),
    ("faust.transport.drivers.aiokafka", "Consumer.resume_partitions"): (
        "releases them afterwards"
    ),
    ("faust.transport.drivers", "TRANSPORTS"): (
        "register_transport adds the idemkafka alias to it"
    ),
    ("faust.tables.globaltable", "GlobalTable"): (
        "streams.tables._SharedTable overrides partition_for_key and _new_store"
    ),
    ("faust.tables.base", "Collection._new_store"): (
        "replaced by _SharedTable to keep shared tables in memory"
    ),
    ("faust.tables.base", "Collection._new_store_by_url"): (
        "how _SharedTable asks for a memory store"
    ),
    ("faust.tables.base", "Collection.partition_for_key"): (
        "overridden so shared tables write partition 0 only"
    ),
    ("faust.stores.rocksdb", "Store._set"): (
        "overridden by _OnePartitionRocksDB: the id map is written outside streams"
    ),
    ("faust.stores.rocksdb", "Store._db_for_partition"): (
        "_OnePartitionRocksDB writes the id map's only database through it"
    ),
    ("faust.stores.rocksdb", "Store.__init__"): (
        "_SharedTable builds the id map's store with the arguments faust passes"
    ),
    ("faust.stores.rocksdb", "Store.apply_changelog_batch"): (
        "streams.preload writes the same raw keys, values and persisted offset"
    ),
    ("faust.stores.rocksdb", "Store.persisted_offset"): (
        "where faust's recovery starts after streams.preload (the offset key)"
    ),
    ("faust.stores.rocksdb", "Store.partition_path"): (
        "streams.preload opens each table partition at this path"
    ),
    ("faust.stores.rocksdb", "RocksDBOptions"): (
        "streams.preload opens the databases with the table's own options"
    ),
    ("faust.streams", "Stream.__aiter__"): (
        "acks an event in a finally even when the agent raised (DESIGN rule 15)"
    ),
    ("mode.supervisors", "CrashingSupervisor"): (
        "flow agents crash the worker instead of acking the event that raised"
    ),
    ("faust.transport.drivers.aiokafka", "Producer._new_producer"): (
        "IdempotentProducer gives the aiokafka producer it makes a RewindingSender"
    ),
    ("aiokafka.producer.sender", "Sender._send_produce_req"): (
        "RewindingSender takes back a refused batch's sequence numbers after it"
    ),
    ("aiokafka.producer.sender", "Sender._sender_routine"): (
        "mutes a partition while its batch is in flight: none is numbered after it"
    ),
    ("aiokafka.producer.message_accumulator", "MessageAccumulator.drain_by_nodes"): (
        "numbers a batch when drained, whether or not the broker takes it"
    ),
    ("aiokafka.producer.transaction_manager", "TransactionManager"): (
        "increment_sequence_number, with a negative step, takes numbers back"
    ),
    ("faust.topics", "Topic._on_published"): (
        "retrieves a failed send's error; streams.acks awaits the same future"
    ),
}
