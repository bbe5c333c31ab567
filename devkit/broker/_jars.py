"""Fetch the broker's jars from Maven Central once, and remember what was fetched.

The jar set is described by the ``pom.xml`` shipped beside this module. After a
download, a marker file in the jar folder lists the jars and the digest of the pom
they came from; while the marker matches and every listed jar exists, nothing is
downloaded again. The broker's classpath is built from that list, not from a
wildcard, so stray jars in the folder never end up on it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from connectors.errors import ConfigurationError, FatalError
from devkit.broker._settings import BrokerSettings

logger = logging.getLogger(__name__)

MARKER = ".tether-jars.json"
# Debian's Maven 3.8 would otherwise pick the ancient dependency plugin 2.8.
DEPENDENCY_GOAL = (
    "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
)
_KAFKA_JAR = re.compile(r"^kafka_2\.13-(?P<version>[0-9][^/]*)\.jar$")


@dataclass(frozen=True)
class JarSet:
    """The downloaded jars: folder, Kafka version and file names."""

    libs: Path
    kafka_version: str
    jars: tuple[str, ...]

    def classpath(self) -> str:
        """The JVM ``-cp`` value: every listed jar, in a stable order."""
        return os.pathsep.join(str(self.libs / jar) for jar in self.jars)


def pom_text() -> str:
    """The shipped ``pom.xml`` describing the broker runtime."""
    return resources.files("devkit.broker").joinpath("pom.xml").read_text("utf-8")


def pom_digest(text: str) -> str:
    """Digest that ties a marker to the pom it was downloaded from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def kafka_version_of(jars: tuple[str, ...] | list[str]) -> str:
    """The Kafka version, read from the ``kafka_2.13-<version>.jar`` name."""
    for jar in jars:
        match = _KAFKA_JAR.match(jar)
        if match:
            return match["version"]
    msg = "no kafka_2.13-<version>.jar among the downloaded jars"
    raise FatalError(msg)


def maven_command(mvn: str, pom: Path, output: Path) -> list[str]:
    """The Maven call that copies the runtime dependencies of ``pom`` to ``output``."""
    return [
        mvn,
        "-B",
        "-q",
        "-f",
        str(pom),
        DEPENDENCY_GOAL,
        "-DincludeScope=runtime",
        f"-DoutputDirectory={output}",
    ]


def render_marker(jars: list[str], digest: str) -> str:
    """Marker file content for a finished download."""
    data = {
        "pom_sha256": digest,
        "kafka_version": kafka_version_of(jars),
        "jars": sorted(jars),
    }
    return json.dumps(data, indent=2) + "\n"


def read_marker(libs: Path, digest: str | None = None) -> JarSet | None:
    """The jar set recorded in ``libs``, or None when a download is needed.

    None when the marker is missing or unreadable, was written for another pom
    (when ``digest`` is given), or lists a jar that is gone.
    """
    try:
        data = json.loads((libs / MARKER).read_text("utf-8"))
        jars = tuple(str(jar) for jar in data["jars"])
        version = str(data["kafka_version"])
        recorded = str(data["pom_sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if digest is not None and recorded != digest:
        return None
    if not jars or not all((libs / jar).is_file() for jar in jars):
        return None
    return JarSet(libs=libs, kafka_version=version, jars=jars)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Two brokers (a test session and the CLI, say) may want the jars at once.
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _download(settings: BrokerSettings, libs: Path, text: str) -> list[str]:
    mvn = shutil.which(settings.mvn)
    if mvn is None:
        msg = (
            f"Maven ({settings.mvn!r}) not found; it is needed once to fetch the "
            "Kafka jars: install it (apt-get install maven) or set TETHER_BROKER_MVN"
        )
        raise ConfigurationError(msg)
    with tempfile.TemporaryDirectory(dir=libs.parent, prefix=".kafka-jars-") as tmp:
        work = Path(tmp)
        pom = work / "pom.xml"
        pom.write_text(text, "utf-8")
        out = work / "libs"
        command = maven_command(mvn, pom, out)
        logger.info("downloading Kafka jars with Maven into %s", libs)
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            command, cwd=work, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
            msg = "Maven could not fetch the Kafka jars: " + " | ".join(tail)
            raise FatalError(msg)
        jars = sorted(p.name for p in out.glob("*.jar"))
        kafka_version_of(jars)  # fail here, not at broker start
        for jar in jars:
            os.replace(out / jar, libs / jar)
    return jars


def ensure_jars(settings: BrokerSettings) -> Path:
    """Make sure the broker jars are in ``settings.libs_dir``; return that folder.

    Downloads with Maven only when the marker is missing or stale.
    """
    return ensure_jar_set(settings).libs


def ensure_jar_set(settings: BrokerSettings) -> JarSet:
    """Like :func:`ensure_jars`, returning the recorded jar set."""
    libs = settings.libs_dir
    text = pom_text()
    digest = pom_digest(text)
    found = read_marker(libs, digest)
    if found is not None:
        return found
    libs.mkdir(parents=True, exist_ok=True)
    with _locked(libs.parent / f".{libs.name}.lock"):
        found = read_marker(libs, digest)  # another process may have finished
        if found is not None:
            return found
        started = time.monotonic()
        jars = _download(settings, libs, text)
        (libs / MARKER).write_text(render_marker(jars, digest), "utf-8")
        logger.info(
            "fetched %d Kafka jars in %.1fs", len(jars), time.monotonic() - started
        )
    found = read_marker(libs, digest)
    if found is None:
        msg = f"the jar marker in {libs} is unreadable right after the download"
        raise FatalError(msg)
    return found
