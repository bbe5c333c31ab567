"""The jar marker: when the broker jars count as downloaded, and the Maven call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.errors import ConfigurationError, FatalError
from devkit.broker import BrokerSettings, ensure_jar_set, ensure_jars, read_marker
from devkit.broker import _jars as jars

JARS = ["kafka-clients-4.1.2.jar", "kafka_2.13-4.1.2.jar", "scala-library-2.13.16.jar"]


def fill(libs: Path, names: list[str], digest: str) -> None:
    libs.mkdir(parents=True, exist_ok=True)
    for name in names:
        (libs / name).write_bytes(b"PK")
    (libs / jars.MARKER).write_text(jars.render_marker(names, digest))


@pytest.fixture
def digest() -> str:
    return jars.pom_digest(jars.pom_text())


def test_shipped_pom_pins_kafka_41_with_log4j2_binding() -> None:
    text = jars.pom_text()

    assert "<kafka.version>4.1." in text
    assert "<artifactId>log4j-slf4j-impl</artifactId>" in text
    assert "<artifactId>log4j-core</artifactId>" in text
    assert "log4j-slf4j2-impl" not in text  # the slf4j 2 binding: wrong for Kafka


def test_render_marker_records_version_and_sorted_jars() -> None:
    data = json.loads(jars.render_marker(list(reversed(JARS)), "abc"))

    assert data == {"pom_sha256": "abc", "kafka_version": "4.1.2", "jars": JARS}


def test_kafka_version_needs_the_core_jar() -> None:
    with pytest.raises(FatalError, match="kafka_2.13"):
        jars.kafka_version_of(["kafka-clients-4.1.2.jar"])


def test_read_marker_accepts_complete_download(tmp_path: Path) -> None:
    fill(tmp_path, JARS, "abc")

    found = read_marker(tmp_path, "abc")

    assert found is not None
    assert found.kafka_version == "4.1.2"
    assert found.classpath().split(":") == [str(tmp_path / j) for j in JARS]


def test_read_marker_without_marker(tmp_path: Path) -> None:
    (tmp_path / JARS[0]).write_bytes(b"PK")
    assert read_marker(tmp_path) is None


def test_read_marker_for_another_pom(tmp_path: Path) -> None:
    fill(tmp_path, JARS, "old")
    assert read_marker(tmp_path, "new") is None
    assert read_marker(tmp_path) is not None  # status() reads it without a digest


def test_read_marker_with_a_jar_missing(tmp_path: Path) -> None:
    fill(tmp_path, JARS, "abc")
    (tmp_path / JARS[1]).unlink()
    assert read_marker(tmp_path, "abc") is None


def test_read_marker_garbled(tmp_path: Path) -> None:
    (tmp_path / jars.MARKER).write_text("{not json")
    assert read_marker(tmp_path) is None


def test_classpath_ignores_stray_jars(tmp_path: Path) -> None:
    fill(tmp_path, JARS, "abc")
    (tmp_path / "kafka_2.13-3.9.1.jar").write_bytes(b"PK")

    found = read_marker(tmp_path, "abc")

    assert found is not None
    assert "3.9.1" not in found.classpath()


def test_ensure_jars_does_not_download_twice(tmp_path: Path, digest: str) -> None:
    fill(tmp_path / "libs", JARS, digest)
    # A Maven that does not exist proves no download is attempted.
    settings = BrokerSettings(home=tmp_path, mvn="no-such-maven")

    assert ensure_jars(settings) == tmp_path / "libs"
    assert ensure_jar_set(settings).jars == tuple(JARS)


def test_ensure_jars_downloads_when_marker_is_stale(tmp_path: Path) -> None:
    fill(tmp_path / "libs", JARS, "from-an-older-pom")
    settings = BrokerSettings(home=tmp_path, mvn="no-such-maven")

    with pytest.raises(ConfigurationError, match="Maven"):
        ensure_jars(settings)


def test_maven_command_pins_the_dependency_plugin(tmp_path: Path) -> None:
    command = jars.maven_command("mvn", tmp_path / "pom.xml", tmp_path / "out")

    assert command[:5] == ["mvn", "-B", "-q", "-f", str(tmp_path / "pom.xml")]
    assert (
        "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
        in command
    )
    assert "-DincludeScope=runtime" in command
    assert f"-DoutputDirectory={tmp_path / 'out'}" in command
