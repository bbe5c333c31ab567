"""Runtime settings of the tether worker (env prefix ``TETHER_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.urls import secure_url


class StreamSettings(BaseSettings):
    """Everything the worker needs that is not a connector's own setting.

    Every field has a working local default so ``streams.app`` can be imported
    anywhere (faust needs a module-level app).
    """

    model_config = SettingsConfigDict(env_prefix="TETHER_", frozen=True)

    kafka_bootstrap: str = Field(
        "127.0.0.1:19092", description="host:port[,host:port] of the Kafka brokers"
    )
    app_id: str = Field(
        "tether",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="consumer group and topic prefix; one per deployment",
    )
    data_dir: Path = Path("var/tether")
    store: str = "rocksdb://"
    partitions: int = Field(4, ge=1, description="partitions of every tether topic")
    replication_factor: int = Field(1, ge=1)
    poll_interval: float = Field(2.0, gt=0, description="seconds between source polls")
    resync_interval: float = Field(
        900.0, ge=0, description="seconds between full re-reads of each source (0: off)"
    )
    flows: str = Field("all", description="comma-separated flow or document names")
    tie_window_seconds: float = Field(1.0, ge=0)
    reference_wait_seconds: float = Field(60.0, ge=0)
    max_message_bytes: int = Field(
        1_000_000,
        ge=10_000,
        description="largest Kafka message tether sends (the producer's "
        "max.request.size; the broker's message.max.bytes must allow it)",
    )
    ack_timeout_seconds: float = Field(
        60.0,
        gt=0,
        description="how long a poll waits for the broker to acknowledge a page",
    )
    # RocksDB holds one database per table partition (3 tables per flow x the
    # partitions, plus the id map): these sizes are per database.
    rocksdb_block_cache_mb: int = Field(
        8, ge=1, description="RocksDB block cache (MiB) of each table partition"
    )
    rocksdb_write_buffer_mb: int = Field(
        4, ge=1, description="RocksDB memtable size (MiB) of each table partition"
    )
    rocksdb_write_buffers: int = Field(
        2, ge=2, description="memtables per table partition before writes stall"
    )
    rocksdb_max_open_files: int = Field(
        256, ge=16, description="open SST files per table partition"
    )
    table_recovery_batch: int = Field(
        10_000,
        ge=1,
        description="changelog records written to a table at once during recovery",
    )
    table_preload: bool = Field(
        True,
        description="rebuild on-disk tables from their changelogs in bulk before "
        "faust starts (faust's own recovery reads about 2,000 records a second)",
    )
    # Writes share each credential's rate limit (connectors.base.ratelimit) and a
    # 429 spends a record's time, not its attempts (engine.delivery), so many in
    # flight pace themselves against a throttling system instead of failing.
    flow_concurrency: int = Field(
        16,
        ge=1,
        description="events of different keys each flow or router agent handles "
        "at once (one key's events always in order)",
    )
    flow_concurrency_per_flow: dict[str, int] = Field(
        default_factory=dict,
        description='per-flow overrides as JSON, e.g. {"webcrm-customcrm-persons": 4}',
    )
    idempotent_producer: bool = True
    web_enabled: bool = Field(
        True,
        description="run the worker's web server: status page, /health, /ready, "
        "/metrics, /status and webhooks",
    )
    web_port: int = Field(
        6066, ge=1, le=65535, description="port of the worker's web server"
    )
    web_bind: str = Field("127.0.0.1", description="address the web server listens on")
    control_token: SecretStr | None = Field(
        None,
        description="bearer token that lets the status page pause and resume "
        "flows (without it, its buttons are off)",
    )
    status_cache_seconds: float = Field(
        2.0, ge=0, description="how long GET /status reuses what it read from Kafka"
    )
    public_url: str | None = Field(
        None,
        description="base URL at which the systems reach this worker's web server "
        "(webhook targets; Webcrm's hooks are registered with it); https:// "
        "unless loopback or in TETHER_PLAIN_HTTP_HOSTS",
    )

    @field_validator("public_url")
    @classmethod
    def _safe_public_url(cls, value: str | None) -> str | None:
        # Webcrm's hook targets carry WEBCRM_WEBHOOK_SECRET in their path: over
        # plain http every delivery would show it to the network.
        return secure_url(value) if value else None

    def concurrency_of(self, flow: str) -> int:
        """How many events of different keys ``flow``'s agents handle at once."""
        return max(1, self.flow_concurrency_per_flow.get(flow, self.flow_concurrency))

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to log (the control token shows as ``**********``)."""
        return self.model_dump(mode="json")
