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
    values |= _secured_listeners(settings, broker, controller)
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


def _secured_listeners(
    settings: BrokerSettings, broker: str, controller: str
) -> dict[str, str]:
    """The SASL_SSL and SSL listeners asked for, beside the plaintext one (which
    the broker itself, and the dev kit's readiness probe, keep using)."""
    listeners, names = [broker], ["PLAINTEXT"]
    values: dict[str, str] = {}
    if settings.sasl_ssl_port is not None:
        listeners.append(f"SASL_SSL://{HOST}:{settings.sasl_ssl_port}")
        names.append("SASL_SSL")
        values |= _sasl_ssl_listener(settings)
    if settings.ssl_port is not None:
        listeners.append(f"SSL://{HOST}:{settings.ssl_port}")
        names.append("SSL")
        values |= _ssl_listener(settings)
    if len(listeners) == 1:
        return {}
    protocols = ",".join(f"{name}:{name}" for name in names)
    return values | {
        "listeners": ",".join([*listeners, controller]),
        "advertised.listeners": ",".join(listeners),
        "listener.security.protocol.map": f"CONTROLLER:PLAINTEXT,{protocols}",
    }


SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule required;"


def _sasl_ssl_listener(settings: BrokerSettings) -> dict[str, str]:
    """SASL over TLS with each of ``sasl_mechanisms``. PLAIN's users live in its
    JAAS line; SCRAM's in the cluster metadata (``format_command`` adds them), so
    their JAAS line names only the login module."""
    prefix = "listener.name.sasl_ssl"
    values = {
        "sasl.enabled.mechanisms": ",".join(settings.sasl_mechanisms),
        f"{prefix}.ssl.keystore.type": "PEM",
        f"{prefix}.ssl.keystore.location": str(settings.sasl_ssl_keystore),
    }
    for mechanism in settings.sasl_mechanisms:
        if mechanism == "PLAIN":
            users = " ".join(
                f'user_{name}="{password.get_secret_value()}"'
                for name, password in settings.sasl_users.items()
            )
            login = "org.apache.kafka.common.security.plain.PlainLoginModule"
            values[f"{prefix}.plain.sasl.jaas.config"] = f"{login} required {users};"
        else:
            values[f"{prefix}.{mechanism.lower()}.sasl.jaas.config"] = SCRAM_LOGIN
    return values


def _ssl_listener(settings: BrokerSettings) -> dict[str, str]:
    """TLS that requires a client certificate signed by a CA in ``ssl_truststore``
    (mutual TLS); the client is known by its certificate's subject."""
    prefix = "listener.name.ssl"
    return {
        f"{prefix}.ssl.client.auth": "required",
        f"{prefix}.ssl.keystore.type": "PEM",
        f"{prefix}.ssl.keystore.location": str(settings.ssl_keystore),
        f"{prefix}.ssl.truststore.type": "PEM",
        f"{prefix}.ssl.truststore.location": str(settings.ssl_truststore),
    }


def scram_arguments(settings: BrokerSettings) -> list[str]:
    """``--add-scram`` for every SASL user and SCRAM mechanism: KRaft keeps SCRAM
    credentials in the cluster metadata, written when the storage is formatted."""
    if settings.sasl_ssl_port is None:
        return []
    arguments: list[str] = []
    for mechanism in settings.sasl_mechanisms:
        if not mechanism.startswith("SCRAM-"):
            continue
        for name, password in settings.sasl_users.items():
            secret = password.get_secret_value()
            arguments += ["--add-scram", f"{mechanism}=[name={name},password={secret}]"]
    return arguments


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
        *scram_arguments(settings),
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
