"""Supply chain: floors above published advisories, the base image by digest, the audit.

The floors are held against the advisories' fixed versions, and the pins of
constraints.txt against the floors, so that neither a loosened floor nor a
re-pin to an affected version goes unnoticed. The audit itself needs the
network: it is ``make audit``, never part of ``make test`` or CI.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[3]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

# package -> (last affected version, first fixed version, advisory)
ADVISORIES = [
    ("starlette", "0.39.2", "0.40.0", "CVE-2024-47874"),
    ("starlette", "0.47.1", "0.47.2", "CVE-2025-54121"),
    ("starlette", "0.49.0", "0.49.1", "CVE-2025-62727"),
    ("starlette", "1.3.0", "1.3.1", "CVE-2026-54283"),
    ("uvicorn", "0.11.6", "0.11.7", "CVE-2020-7694"),
    ("h11", "0.15.0", "0.16.0", "CVE-2025-43859"),
    ("anyio", "4.3.0", "4.4.0", "PVE-2024-71199"),
]


def _requirements() -> dict[str, Requirement]:
    texts = list(PROJECT["dependencies"])
    for extra in PROJECT["optional-dependencies"].values():
        texts += extra
    found = {}
    for text in texts:
        requirement = Requirement(text)
        if requirement.name != "tether":
            found[canonicalize_name(requirement.name)] = requirement
    return found


def _pins() -> dict[str, Version]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep:
            pins[canonicalize_name(name)] = Version(version)
    return pins


@pytest.mark.parametrize(("package", "affected", "fixed", "advisory"), ADVISORIES)
def test_floors_refuse_versions_with_advisories(package, affected, fixed, advisory):
    requirement = _requirements()[package]
    floors = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    assert floors, f"{package}: no floor"
    assert max(floors) >= Version(fixed), advisory
    assert not requirement.specifier.contains(affected), advisory
    source = (REPO / "pyproject.toml").read_text()
    assert advisory in source  # the floor says why


def test_every_pin_satisfies_the_project_requirements():
    pins = _pins()
    for name, requirement in _requirements().items():
        assert requirement.specifier.contains(pins[name]), (name, str(pins[name]))


def test_the_base_image_is_pinned_by_digest():
    froms = [
        line.split()[1]
        for line in (REPO / "Dockerfile").read_text().splitlines()
        if line.startswith("FROM ")
    ]
    assert froms
    for image in froms:
        assert re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", image), image


def test_the_audit_is_a_make_target_outside_the_test_run():
    makefile = (REPO / "Makefile").read_text()
    target = makefile.split("\naudit:", 1)[1].split("\n\n", 1)[0]
    assert "pip-audit --requirement constraints.txt" in target
    assert "--strict" in target  # an unlooked-up package fails, not passes
    assert "'.[audit]'" in target
    test = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "audit" not in test
    assert "audit" not in (REPO / ".ci" / "run").read_text()
    assert "pip-audit" in {canonicalize_name(r) for r in _requirements()}
    assert not any("pip-audit" in d for d in PROJECT["dependencies"])
