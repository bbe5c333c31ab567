"""Test-only faust app: an agent fills a RocksDB table, another answers lookups.

Run as a worker subprocess by ``test_broker_compat.py``::

    python tests/integration/faust_table_app.py worker -l info --without-web

Configured through ``TETHER_IT_*`` variables so each test gets its own app id,
topics and state folder. ``sets`` carries ``key -> value`` to store; a key sent
to ``queries`` is answered on ``answers`` with the table's value (or ``<missing>``).
"""

from __future__ import annotations

import os

import faust

from streams.kafka_transport import register_transport

register_transport()

MISSING = b"<missing>"

app = faust.App(
    os.environ["TETHER_IT_APP_ID"],
    broker=f"idemkafka://{os.environ['TETHER_IT_BOOTSTRAP']}",
    store="rocksdb://",
    datadir=os.environ["TETHER_IT_DATADIR"],
    web_enabled=False,
    topic_partitions=1,
    topic_replication_factor=1,
    table_standby_replicas=0,
    # Short timeouts (kafka-notes 3.3): a SIGKILLed member leaves the group after
    # the session timeout; 6 s is the broker's group.min.session.timeout.ms.
    broker_session_timeout=6.0,
    broker_heartbeat_interval=1.0,
    broker_rebalance_timeout=10.0,
    broker_request_timeout=15.0,
    broker_commit_interval=0.5,
    key_serializer="raw",
    value_serializer="raw",
)

sets_topic = app.topic(
    os.environ["TETHER_IT_SETS_TOPIC"], key_type=bytes, value_type=bytes
)
queries_topic = app.topic(
    os.environ["TETHER_IT_QUERIES_TOPIC"], key_type=bytes, value_type=bytes
)
answers_topic = app.topic(
    os.environ["TETHER_IT_ANSWERS_TOPIC"], key_type=bytes, value_type=bytes
)

values = app.Table(
    "values",
    partitions=1,
    key_type=bytes,
    value_type=bytes,
    options={"block_cache_size": 8 * 2**20, "write_buffer_size": 4 * 2**20},
)


@app.agent(sets_topic, name="store", concurrency=1)
async def store(stream: faust.StreamT[bytes]) -> None:
    async for key, value in stream.items():
        values[key] = value


@app.agent(queries_topic, name="answer", concurrency=1)
async def answer(stream: faust.StreamT[bytes]) -> None:
    async for key, _ in stream.items():
        await answers_topic.send(key=key, value=values.get(key, MISSING))


if __name__ == "__main__":
    app.main()
