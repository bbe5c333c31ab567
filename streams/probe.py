"""Is a Kafka broker answering? A metadata call, not just a TCP probe."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import socket

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from streams.kafka_security import kafka_options

logger = logging.getLogger(__name__)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def split_bootstrap(bootstrap: str) -> tuple[str, int]:
    """``host:port`` of the first server in a bootstrap list."""
    first = bootstrap.split(",")[0].strip()
    host, _, port = first.rpartition(":")
    if "://" in first or not host or not port.isdigit():
        msg = f"bootstrap server {first!r} is not host:port"
        raise ValueError(msg)
    return host, int(port)


async def _accepts(host: str, port: int) -> bool:
    try:
        async with asyncio.timeout(0.5):
            _, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def metadata_ready(bootstrap: str, request_timeout: float = 5.0) -> bool:
    """Whether the cluster behind ``bootstrap`` answers a metadata request.

    The broker accepts connections before its controller has loaded metadata,
    so the port alone says little. The TCP check first keeps aiokafka from
    logging a connection error on every poll while the JVM boots.
    """
    host, port = split_bootstrap(bootstrap)
    if not await _accepts(host, port):
        return False
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        **kafka_options(),
        request_timeout_ms=int(request_timeout * 1000),
    )
    try:
        async with asyncio.timeout(request_timeout):
            await admin.start()
            cluster = await admin.describe_cluster()
    except (KafkaError, OSError, TimeoutError) as exc:
        logger.debug("broker %s not ready: %r", bootstrap, exc)
        return False
    finally:
        await admin.close()
    return bool(cluster.get("brokers")) and cluster.get("controller_id", -1) >= 0


def is_ready(bootstrap: str, request_timeout: float = 5.0) -> bool:
    """Synchronous :func:`metadata_ready`, also callable from inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(metadata_ready(bootstrap, request_timeout))
    # asyncio.run refuses to nest; a short-lived thread gets its own loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(
            asyncio.run, metadata_ready(bootstrap, request_timeout)
        ).result()
