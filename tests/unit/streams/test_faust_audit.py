"""The guard on tether's faust fixes: versions and private names as audited.

When this fails, re-read the named faust/aiokafka code against the fix that
relies on it (``streams/faust_audit.py`` says which), then update the version
or the fingerprint here.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from importlib.metadata import version
from typing import Any

import pytest

from streams.faust_audit import AUDITED_VERSIONS, RELIED_ON

# sha256 of the source of each relied-on object, at the audited versions.
FINGERPRINTS: dict[tuple[str, str], str] = {
    ("faust.streams", "Stream.__aiter__"): "e815c0e831f1d2cc",
    ("faust.tables.base", "Collection._new_store"): "914a2bda605d38f5",
    ("faust.tables.base", "Collection._new_store_by_url"): "343a8125107d3f69",
    ("faust.tables.base", "Collection.partition_for_key"): "3b2291811b8dd791",
    ("faust.tables.globaltable", "GlobalTable"): "c564924cdfba112c",
    ("faust.transport.consumer", "Consumer.__init__"): "302410d59e6972d1",
    ("faust.transport.consumer", "Consumer._drain_messages"): "44a2500309e83c63",
    ("faust.transport.consumer", "Consumer._new_offset"): "1d2c7ea89a7ad4f1",
    ("faust.transport.consumer", "Consumer.ack"): "5fcf41cf45153475",
    ("faust.streams", "current_event"): "3b821f1a78d86a58",
    ("faust.transport.consumer", "Consumer._is_changelog_tp"): "88867d75cfe9aecf",
    ("faust.transport.consumer", "Consumer.perform_seek"): "0e8c130ff4b0afd8",
    ("faust.transport.consumer", "Consumer.resume_flow"): "db59630f25b5819b",
    ("faust.transport.drivers", "TRANSPORTS"): "dd74740d2df2ea6a",
    (
        "faust.transport.drivers.aiokafka",
        "Consumer.earliest_offsets",
    ): "2833b09d2888825b",
    (
        "faust.transport.drivers.aiokafka",
        "Consumer.pause_partitions",
    ): "27a1c94bdacd54de",
    ("faust.transport.drivers.aiokafka", "Consumer.perform_seek"): "0e8c130ff4b0afd8",
    (
        "faust.transport.drivers.aiokafka",
        "Consumer.resume_partitions",
    ): "afe6b7c02a41d63c",
    ("faust.transport.drivers.aiokafka", "Consumer.seek_wait"): "e9db5bbc4ceb2543",
    (
        "faust.transport.drivers.aiokafka",
        "Producer._settings_extra",
    ): "a4c7bc41b6382223",
    ("mode.supervisors", "CrashingSupervisor"): "37e805f0af2149ce",
    ("faust.transport.drivers.aiokafka", "Producer._new_producer"): "e72355c3430ed02f",
    ("aiokafka.producer.sender", "Sender._send_produce_req"): "aea01ae4b6c794cc",
    ("aiokafka.producer.sender", "Sender._sender_routine"): "2380dc5e333d9ebd",
    (
        "aiokafka.producer.message_accumulator",
        "MessageAccumulator.drain_by_nodes",
    ): "fc995afbfc5718e2",
    (
        "aiokafka.producer.transaction_manager",
        "TransactionManager",
    ): "d0932794d69a6780",
    ("faust.topics", "Topic._on_published"): "7cfe9ebd65964b0a",
    ("faust.stores.rocksdb", "Store._set"): "4227e561e288d941",
    ("faust.stores.rocksdb", "Store._db_for_partition"): "cb7e67d5f9efc4bc",
    ("faust.stores.rocksdb", "Store.__init__"): "c7c0fa2989e8ab4a",
    ("faust.stores.rocksdb", "Store.apply_changelog_batch"): "ea3344d369fc4ab5",
    ("faust.stores.rocksdb", "Store.persisted_offset"): "6f2e502fb86043a1",
    ("faust.stores.rocksdb", "Store.partition_path"): "0cc4eae7dc33fcf1",
    ("faust.stores.rocksdb", "RocksDBOptions"): "73d441b66490f2fb",
}


def _resolve(module: str, path: str) -> Any:
    found: Any = importlib.import_module(module)
    for part in path.split("."):
        found = getattr(found, part)
    return found


def fingerprint(module: str, path: str) -> str:
    """The sha256 of an object's source (of its class, for data)."""
    found = _resolve(module, path)
    if not (inspect.isclass(found) or inspect.isroutine(found)):
        found = type(found)
    text = inspect.getsource(found)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.mark.parametrize("package", sorted(AUDITED_VERSIONS))
def test_installed_versions_are_the_audited_ones(package: str) -> None:
    installed = version(package)
    assert installed == AUDITED_VERSIONS[package], (
        f"{package} is {installed}, audited at {AUDITED_VERSIONS[package]}: "
        "re-audit every fix listed in streams/faust_audit.py"
    )


@pytest.mark.parametrize(("module", "path"), sorted(RELIED_ON))
def test_each_relied_on_private_name_still_exists_unchanged(
    module: str, path: str
) -> None:
    why = RELIED_ON[(module, path)]
    try:
        _resolve(module, path)
    except (ImportError, AttributeError):
        pytest.fail(f"{module}.{path} is gone: re-audit ({why})")
    expected = FINGERPRINTS[(module, path)]
    assert fingerprint(module, path) == expected, (
        f"{module}.{path} changed: re-audit ({why})"
    )
