"""server.properties rendering and the broker's JVM command lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from devkit.broker import BrokerSettings
from devkit.broker import _config as config


@pytest.fixture
def settings(tmp_path: Path) -> BrokerSettings:
    return BrokerSettings(home=tmp_path, port=29092, controller_port=29093)


def test_server_properties_is_one_loopback_kraft_node(
    settings: BrokerSettings, tmp_path: Path
) -> None:
    values = config.server_properties(settings, tmp_path / "data")

    assert values["process.roles"] == "broker,controller"
    assert values["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert values["listeners"] == (
        "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    )
    assert values["advertised.listeners"] == "PLAINTEXT://127.0.0.1:29092"
    assert values["log.dirs"] == str(tmp_path / "data")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("group.initial.rebalance.delay.ms", "0"),
        ("offsets.topic.num.partitions", "1"),
        ("offsets.topic.replication.factor", "1"),
        ("transaction.state.log.replication.factor", "1"),
        ("transaction.state.log.min.isr", "1"),
        ("transaction.state.log.num.partitions", "1"),
        ("share.coordinator.state.topic.replication.factor", "1"),
    ],
)
def test_server_properties_sizes_internal_topics_for_one_node(
    settings: BrokerSettings, tmp_path: Path, key: str, value: str
) -> None:
    assert config.server_properties(settings, tmp_path)[key] == value


def test_static_voters_exclude_dynamic_quorum(
    settings: BrokerSettings, tmp_path: Path
) -> None:
    # StorageTool rejects --standalone with static voters, and we never pass it.
    values = config.server_properties(settings, tmp_path)
    assert "controller.quorum.bootstrap.servers" not in values


def test_render_properties_escapes_backslashes() -> None:
    text = config.render_properties({"log.dirs": r"C:\kafka\data", "a": "b"})

    lines = text.splitlines()
    assert lines[0].startswith("#")
    assert lines[1:] == [r"log.dirs=C:\\kafka\\data", "a=b"]
    assert text.endswith("\n")


def test_broker_command_sizes_heap_and_points_at_files(
    settings: BrokerSettings, tmp_path: Path
) -> None:
    command = config.broker_command(
        settings.model_copy(update={"heap": "1g"}),
        "/jars/a.jar:/jars/b.jar",
        config=tmp_path / "server.properties",
        log4j2=tmp_path / "log4j2.properties",
        logs_dir=tmp_path / "logs",
    )

    assert command[0] == "java"
    assert command[1:3] == ["-Xms1g", "-Xmx1g"]
    assert f"-Dkafka.logs.dir={tmp_path / 'logs'}" in command
    assert f"-Dlog4j2.configurationFile=file:{tmp_path / 'log4j2.properties'}" in (
        command
    )
    assert command[command.index("-cp") + 1] == "/jars/a.jar:/jars/b.jar"
    assert command[-2:] == ["kafka.Kafka", str(tmp_path / "server.properties")]


def test_format_command_formats_once_with_static_voters(
    settings: BrokerSettings, tmp_path: Path
) -> None:
    command = config.format_command(
        settings,
        "/jars/a.jar",
        config=tmp_path / "server.properties",
        log4j2=tmp_path / "log4j2.properties",
        logs_dir=tmp_path / "logs",
        cluster_id="abc",
    )

    tool = command.index("kafka.tools.StorageTool")
    assert command[tool:] == [
        "kafka.tools.StorageTool",
        "format",
        "-t",
        "abc",
        "-c",
        str(tmp_path / "server.properties"),
        "--ignore-formatted",
    ]
    assert "--standalone" not in command


def test_new_cluster_id_is_kafka_uuid_form() -> None:
    ids = {config.new_cluster_id() for _ in range(20)}

    assert len(ids) == 20
    assert all(len(i) == 22 and "=" not in i for i in ids)


def test_log4j2_config_writes_to_files_only() -> None:
    text = config.log4j2_text()

    assert "${sys:kafka.logs.dir}/server.log" in text
    assert "Console" not in text


def test_a_new_cluster_id_never_reads_as_an_option(monkeypatch):
    import uuid

    from devkit.broker import _config

    # 0xf8... encodes to "-..." in URL-safe base64: the first draw must be refused.
    draws = iter([uuid.UUID(bytes=b"\xf8" + b"\x00" * 15), uuid.UUID(int=7)])
    monkeypatch.setattr(_config.uuid, "uuid4", lambda: next(draws))
    cluster_id = _config.new_cluster_id()
    assert not cluster_id.startswith("-")
    assert len(cluster_id) == 22


def test_the_authorizer_enforces_acls_on_the_sasl_ssl_listener_only(
    settings: BrokerSettings, tmp_path: Path
) -> None:
    secured = settings.model_copy(
        update={
            "sasl_ssl_port": 29094,
            "sasl_ssl_keystore": tmp_path / "keystore.pem",
            "sasl_users": {"admin": SecretStr("a"), "worker": SecretStr("w")},
            "authorizer": True,
            "super_users": ["admin"],
        }
    )
    values = config.server_properties(secured, tmp_path / "data")

    assert values["authorizer.class.name"] == (
        "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    )
    assert values["allow.everyone.if.no.acl.found"] == "false"
    # The broker's own (plaintext, controller) connections are User:ANONYMOUS.
    assert values["super.users"] == "User:ANONYMOUS;User:admin"
    assert "authorizer.class.name" not in config.server_properties(
        settings, tmp_path / "data"
    )


def test_the_authorizer_needs_the_sasl_ssl_listener() -> None:
    with pytest.raises(ValueError, match="needs the SASL_SSL listener"):
        BrokerSettings(authorizer=True)


def _secured(
    settings: BrokerSettings, tmp_path: Path, **update: object
) -> BrokerSettings:
    base = {
        "sasl_ssl_port": 29094,
        "sasl_ssl_keystore": tmp_path / "keystore.pem",
        "sasl_users": {"tether": SecretStr("pw-1"), "reader": SecretStr("pw-2")},
    }
    return settings.model_copy(update=base | update)


def test_the_sasl_ssl_listener_enables_plain_alone_by_default(
    settings: BrokerSettings, tmp_path: Path
) -> None:
    values = config.server_properties(_secured(settings, tmp_path), tmp_path)

    assert values["sasl.enabled.mechanisms"] == "PLAIN"
    assert values["listener.name.sasl_ssl.plain.sasl.jaas.config"] == (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        'user_tether="pw-1" user_reader="pw-2";'
    )
    assert not any("scram" in key for key in values)
    assert values["listeners"] == (
        "PLAINTEXT://127.0.0.1:29092,SASL_SSL://127.0.0.1:29094,"
        "CONTROLLER://127.0.0.1:29093"
    )
    assert values["listener.security.protocol.map"] == (
        "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL"
    )


def test_scram_mechanisms_get_their_login_module_per_listener(
    settings: BrokerSettings, tmp_path: Path
) -> None:
    secured = _secured(
        settings,
        tmp_path,
        sasl_mechanisms=["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
    )
    values = config.server_properties(secured, tmp_path)

    assert values["sasl.enabled.mechanisms"] == "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
    assert values["listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config"] == scram
    assert values["listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config"] == scram
    # SCRAM's users are in the metadata, not in a properties file.
    assert "pw-1" not in values["listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config"]


def test_scram_users_are_added_when_the_storage_is_formatted(
    settings: BrokerSettings, tmp_path: Path
) -> None:
    secured = _secured(settings, tmp_path, sasl_mechanisms=["PLAIN", "SCRAM-SHA-512"])
    command = config.format_command(
        secured,
        "/jars/a.jar",
        config=tmp_path / "server.properties",
        log4j2=tmp_path / "log4j2.properties",
        logs_dir=tmp_path / "logs",
        cluster_id="abc",
    )

    tail = command[command.index("--ignore-formatted") + 1 :]
    assert tail == [
        "--add-scram",
        "SCRAM-SHA-512=[name=tether,password=pw-1]",
        "--add-scram",
        "SCRAM-SHA-512=[name=reader,password=pw-2]",
    ]
    plain = _secured(settings, tmp_path)
    assert config.scram_arguments(plain) == []


def test_a_scram_password_the_storage_tool_would_misread_is_refused(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="SCRAM names and passwords"):
        BrokerSettings(
            sasl_ssl_port=29094,
            sasl_ssl_keystore=tmp_path / "k.pem",
            sasl_users={"tether": SecretStr("a,b")},
            sasl_mechanisms=["SCRAM-SHA-256"],
        )
    # PLAIN alone takes any password (it goes into a quoted JAAS value).
    BrokerSettings(
        sasl_ssl_port=29094,
        sasl_ssl_keystore=tmp_path / "k.pem",
        sasl_users={"tether": SecretStr("a,b")},
    )


def test_the_ssl_listener_requires_a_client_certificate(
    settings: BrokerSettings, tmp_path: Path
) -> None:
    mtls = settings.model_copy(
        update={
            "ssl_port": 29095,
            "ssl_keystore": tmp_path / "broker.pem",
            "ssl_truststore": tmp_path / "ca.pem",
        }
    )
    values = config.server_properties(mtls, tmp_path)

    assert values["listeners"] == (
        "PLAINTEXT://127.0.0.1:29092,SSL://127.0.0.1:29095,CONTROLLER://127.0.0.1:29093"
    )
    assert values["advertised.listeners"] == (
        "PLAINTEXT://127.0.0.1:29092,SSL://127.0.0.1:29095"
    )
    assert values["listener.security.protocol.map"] == (
        "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL"
    )
    assert values["listener.name.ssl.ssl.client.auth"] == "required"
    assert values["listener.name.ssl.ssl.truststore.type"] == "PEM"
    assert values["listener.name.ssl.ssl.truststore.location"] == str(
        tmp_path / "ca.pem"
    )
    assert values["listener.name.ssl.ssl.keystore.location"] == str(
        tmp_path / "broker.pem"
    )
    assert "sasl.enabled.mechanisms" not in values


def test_both_secured_listeners_side_by_side(
    settings: BrokerSettings, tmp_path: Path
) -> None:
    both = _secured(
        settings,
        tmp_path,
        ssl_port=29095,
        ssl_keystore=tmp_path / "broker.pem",
        ssl_truststore=tmp_path / "ca.pem",
    )
    values = config.server_properties(both, tmp_path)

    assert values["advertised.listeners"] == (
        "PLAINTEXT://127.0.0.1:29092,SASL_SSL://127.0.0.1:29094,SSL://127.0.0.1:29095"
    )
    assert values["listener.security.protocol.map"] == (
        "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL"
    )


def test_an_ssl_listener_needs_its_keystore_and_truststore(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match="SSL listener needs a keystore and a truststore"
    ):
        BrokerSettings(ssl_port=29095, ssl_keystore=tmp_path / "broker.pem")
