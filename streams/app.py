"""Builds the faust App from ``StreamSettings``; nothing else."""

from __future__ import annotations

import faust

from streams.kafka_security import kafka_security
from streams.kafka_transport import register_transport
from streams.settings import StreamSettings


def create_app(settings: StreamSettings) -> faust.App:
    """A faust app tuned for at-least-once delivery with idempotent writes."""
    scheme = "kafka"
    if settings.idempotent_producer:
        scheme = register_transport()
    brokers = ";".join(
        f"{scheme}://{host.strip()}" for host in settings.kafka_bootstrap.split(",")
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return faust.App(
        settings.app_id,
        broker=brokers,
        store=settings.store,
        datadir=str(settings.data_dir),
        processing_guarantee="at_least_once",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        # Agents run many keys at once themselves, acking in offset order
        # (streams.inflight); faust's concurrency=N would not (faust #606).
        stream_buffer_maxsize=1024,
        broker_commit_interval=1.0,
        # Checked before sending too (streams.acks): an oversized message becomes
        # a dead letter instead of an error inside faust's producer.
        producer_max_request_size=settings.max_message_bytes,
        table_standby_replicas=0 if settings.replication_factor == 1 else 1,
        web_enabled=settings.web_enabled,
        web_port=settings.web_port,
        web_bind=settings.web_bind,
        # faust's table and router pages would serve the link tables' contents.
        web_tables_enabled=False,
        web_router_enabled=False,
        broker_session_timeout=30.0,
        broker_heartbeat_interval=3.0,
        broker_rebalance_timeout=60.0,
        consumer_auto_offset_reset="earliest",
        autodiscover=False,
        # TLS and SASL as every other client of the deployment (streams.kafka_security).
        broker_credentials=kafka_security().faust_credentials(),
    )
