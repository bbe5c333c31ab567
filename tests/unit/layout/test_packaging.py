"""Packaging: license, extras, the constraints file, the image and the compose demo.

Docker is not needed: the compose file is read as YAML and held against the
settings classes and the stand-ins it points the demo worker at.
"""

from __future__ import annotations

import ast
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ops.check.settings import known_variables

REPO = Path(__file__).resolve().parents[3]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
DEMO_ONLY = {"starlette", "uvicorn"}


def _names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def _compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return document


def test_the_license_is_an_spdx_string_with_a_setuptools_that_reads_it():
    assert PROJECT["license"] == "Apache-2.0"
    [setuptools] = [
        Requirement(r)
        for r in PYPROJECT["build-system"]["requires"]
        if Requirement(r).name == "setuptools"
    ]
    assert "77" in setuptools.specifier
    assert "76.1" not in setuptools.specifier
    text = (REPO / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License\n")
    assert "Version 2.0, January 2004" in text


def test_stand_in_packages_are_in_the_demo_extra_and_dev_has_it():
    extras = PROJECT["optional-dependencies"]
    assert not DEMO_ONLY & _names(PROJECT["dependencies"])
    assert _names(extras["demo"]) == DEMO_ONLY
    dev = [Requirement(r) for r in extras["dev"]]
    assert any(r.name == "tether" and "demo" in r.extras for r in dev)


def test_nothing_but_the_stand_ins_imports_the_demo_packages():
    importers = []
    for package in ("schemas", "connectors", "dataflows", "engine", "streams", "ops"):
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if {n.partition(".")[0] for n in names} & DEMO_ONLY:
                    importers.append(str(path.relative_to(REPO)))
    assert importers == []


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.+!\-]+)", line)
        assert match, f"constraints.txt: not an exact pin: {line!r}"
        pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def test_the_constraints_pin_every_dependency_and_not_tether():
    pins = _pins()
    wanted = _names(PROJECT["dependencies"])
    for extra in PROJECT["optional-dependencies"].values():
        wanted |= _names(extra)
    wanted.discard("tether")
    assert wanted <= set(pins), f"not pinned: {sorted(wanted - set(pins))}"
    assert "tether" not in pins


def test_make_and_the_image_install_with_the_constraints():
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"pip install .*-c constraints\.txt.*'\.\[dev\]'", makefile)
    assert "$(STAMP): pyproject.toml constraints.txt" in makefile
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "pip install --constraint constraints.txt" in dockerfile
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    assert ".env" in ignored
    assert "constraints.txt" not in ignored


def test_the_compose_demo_profile_runs_kafka_the_stand_ins_and_a_worker():
    services = _compose()["services"]
    assert "profiles" not in services["kafka"]
    assert services["standins"]["profiles"] == ["demo"]
    assert services["demo-worker"]["profiles"] == ["demo"]
    # Outside the demo, the real worker starts only when asked for.
    assert services["worker"]["profiles"] == ["worker"]
    assert services["standins"]["build"]["args"]["EXTRAS"] == "demo"
    depends = services["demo-worker"]["depends_on"]
    assert depends["kafka"]["condition"] == "service_healthy"
    assert depends["standins"]["condition"] == "service_healthy"
    # The stand-ins serve on 127.0.0.1 only: the worker shares their network.
    assert services["demo-worker"]["network_mode"] == "service:standins"


def _demo_env() -> dict[str, str]:
    worker = _compose()["services"]["demo-worker"]
    assert "env_file" not in worker, "the demo must run without a .env"
    return {k: str(v) for k, v in worker["environment"].items()}


def test_the_demo_worker_names_only_settings_that_exist():
    unknown = set(_demo_env()) - known_variables()
    assert unknown == set()
    worker = _compose()["services"]["worker"]
    assert set(worker["environment"]) <= known_variables()


def test_the_demo_worker_points_at_the_stand_ins_as_they_are_started():
    from devkit.standins import DEMO_SYSTEMS

    command = _compose()["services"]["standins"]["command"]
    if isinstance(command, str):
        command = shlex.split(command)
    assert command[:3] == ["tether", "standins", "--seed"]
    base = int(command[command.index("--port-base") + 1])
    expected: dict[str, str] = {}
    for n, demo in enumerate(DEMO_SYSTEMS.values()):
        standin = demo.make()
        # The port `--port-base` gives it, without binding it here.
        standin._server.port = base + n
        expected |= standin.connector_env()
    env = _demo_env()
    assert {k: env.get(k) for k in expected} == expected


@pytest.mark.parametrize("service", ["demo-worker", "worker"])
def test_the_workers_have_a_healthcheck_on_their_web_server(service):
    worker = _compose()["services"][service]
    probe = " ".join(worker["healthcheck"]["test"])
    env = {k: str(v) for k, v in worker["environment"].items()}
    port = env.get("TETHER_WEB_PORT", "6066")
    assert f"http://127.0.0.1:{port}/health" in probe
    # Inside the container; compose publishes the port on the host's 127.0.0.1.
    assert env["TETHER_WEB_BIND"] == "0.0.0.0"
