"""Render the broker's ``server.properties`` and build its JVM command lines."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from devkit.broker._settings import HOST, BrokerSettings

NODE_ID = 1
BROKER_MAIN = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
# As kafka-run-class.sh, minus JMX (not needed) and the GC log (noise on disk).
JVM_PERFORMANCE_OPTS: tuple[str, ...] = (
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:MaxInlineLevel=15",
    "-Djava.awt.headless=true",
)


def server_properties(settings: BrokerSettings, data_dir: Path) -> dict[str, str]:
    """One KRaft node (broker + controller) on loopback, sized for one machine.

    A static voter (``controller.quorum.voters``), so the storage is formatted
    without ``--standalone``. Internal topics get one partition and replication
    factor 1, and new groups do not wait 3 s for more members: a single node
    would otherwise pay that on every test.
    """
    broker = f"PLAINTEXT://{HOST}:{settings.port}"
    controller = f"CONTROLLER://{HOST}:{settings.controller_port}"
    values = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "controller.quorum.voters": f"{NODE_ID}@{HOST}:{settings.controller_port}",
        "listeners": f"{broker},{controller}",
        "advertised.listeners": broker,
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
    }
    if settings.sasl_ssl_port is not None:
        values |= _sasl_ssl_listener(settings, broker)
    if settings.authorizer:
        values |= _authorizer(settings)
    return values


AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


def _authorizer(settings: BrokerSettings) -> dict[str, str]:
    """ACLs enforced, nothing allowed without one. The controller and plaintext
    listeners authenticate nobody (``User:ANONYMOUS``): the broker itself talks
    there, so that principal is a super user, and only the SASL_SSL listener is
    governed by ACLs."""
    supers = ["User:ANONYMOUS", *(f"User:{name}" for name in settings.super_users)]
    return {
        "authorizer.class.name": AUTHORIZER,
        "super.users": ";".join(supers),
        "allow.everyone.if.no.acl.found": "false",
    }


def _sasl_ssl_listener(settings: BrokerSettings, broker: str) -> dict[str, str]:
    """A SASL_SSL listener beside the plaintext one (which the broker itself,
    and the dev kit's readiness probe, keep using)."""
    secure = f"SASL_SSL://{HOST}:{settings.sasl_ssl_port}"
    users = " ".join(
        f'user_{name}="{password.get_secret_value()}"'
        for name, password in settings.sasl_users.items()
    )
    return {
        "listeners": f"{broker},{secure},CONTROLLER://{HOST}:{settings.controller_port}",
        "advertised.listeners": f"{broker},{secure}",
        "listener.security.protocol.map": (
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL"
        ),
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_ssl.plain.sasl.jaas.config": (
            f"org.apache.kafka.common.security.plain.PlainLoginModule required {users};"
        ),
        "listener.name.sasl_ssl.ssl.keystore.type": "PEM",
        "listener.name.sasl_ssl.ssl.keystore.location": str(settings.sasl_ssl_keystore),
    }


def render_properties(values: Mapping[str, str]) -> str:
    """A Java properties file; backslashes escaped, since Java reads them as escapes."""
    lines = ["# Written by tether (devkit.broker); rewritten on every start."]
    for key, value in values.items():
        lines.append(f"{key}={value.replace(chr(92), chr(92) * 2)}")
    return "\n".join(lines) + "\n"


def log4j2_text() -> str:
    """The shipped log4j2 configuration (files under ``kafka.logs.dir``)."""
    package = resources.files("devkit.broker")
    return package.joinpath("log4j2.properties").read_text("utf-8")


def new_cluster_id() -> str:
    """A Kafka ``Uuid`` in its 22-character URL-safe base64 form.

    Never one starting with ``-``: the storage tool would read it as an option
    ("--cluster-id expected one argument") and the broker would not start.
    """
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):
            return text


def _java(
    java: str, options: list[str], classpath: str, log4j2: Path, logs_dir: Path
) -> list[str]:
    """``java`` with its memory ``options`` first, then logging and classpath."""
    return [
        java,
        *options,
        f"-Dkafka.logs.dir={logs_dir}",
        f"-Dlog4j2.configurationFile=file:{log4j2}",
        "-cp",
        classpath,
    ]


def format_command(
    settings: BrokerSettings,
    classpath: str,
    *,
    config: Path,
    log4j2: Path,
    logs_dir: Path,
    cluster_id: str,
) -> list[str]:
    """``StorageTool format`` for the static-voter configuration at ``config``."""
    return [
        *_java(settings.java, ["-Xmx256m"], classpath, log4j2, logs_dir),
        STORAGE_TOOL,
        "format",
        "-t",
        cluster_id,
        "-c",
        str(config),
        "--ignore-formatted",
    ]


def broker_command(
    settings: BrokerSettings,
    classpath: str,
    *,
    config: Path,
    log4j2: Path,
    logs_dir: Path,
) -> list[str]:
    """The JVM command line that runs the broker, as ``kafka-server-start.sh``."""
    heap = [f"-Xms{settings.heap}", f"-Xmx{settings.heap}", *JVM_PERFORMANCE_OPTS]
    return [
        *_java(settings.java, heap, classpath, log4j2, logs_dir),
        BROKER_MAIN,
        str(config),
    ]
