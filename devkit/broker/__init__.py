"""A local Apache Kafka broker (KRaft, one node) run from Maven Central jars.

Kafka 4.1.2 with the log4j2 binding (``log4j-slf4j-impl`` + ``log4j-core``); see
``pom.xml`` beside this module. 4.1 was kept over the 3.9.1 fallback because
``tests/integration/test_broker_compat.py`` passes on it with aiokafka 0.14 and
faust-streaming 0.15.3: produce/consume, CreateTopics with configs, the
idempotent producer, and a faust worker's group join and RocksDB changelog
recovery.
"""

from __future__ import annotations

from devkit.broker._embedded import BrokerMode, BrokerStatus, EmbeddedBroker
from devkit.broker._jars import JarSet, ensure_jar_set, ensure_jars, read_marker
from devkit.broker._settings import BrokerSettings
from streams.probe import is_ready, metadata_ready

__all__ = [
    "BrokerMode",
    "BrokerSettings",
    "BrokerStatus",
    "EmbeddedBroker",
    "JarSet",
    "ensure_jar_set",
    "ensure_jars",
    "is_ready",
    "metadata_ready",
    "read_marker",
]
