"""The layer contracts in pyproject.toml catch what they promise to catch.

``make lint`` runs them over the real tree; here they run over a small tree of
the same package names with one deliberate violation each, so a contract that
stopped checking (a renamed package, a typo in a layer) fails this test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("schemas", "connectors", "dataflows", "engine", "streams", "devkit", "ops")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contracts() -> dict[str, object]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    return {"tool": {"importlinter": config["tool"]["importlinter"]}}


def _lint(
    tree: Path, violation: tuple[str, str] | None
) -> subprocess.CompletedProcess[str]:
    for package in (*PACKAGES, "standins"):
        (tree / package).mkdir()
        (tree / package / "__init__.py").write_text("")
    # Every layer uses the one below it, as the real code does.
    for upper, lower in zip(PACKAGES[1:], PACKAGES, strict=False):
        (tree / upper / "uses.py").write_text(f"import {lower}\n")
    (tree / "devkit" / "runs.py").write_text("import standins\n")
    (tree / "streams" / "wiring.py").write_text("import faust\nimport aiokafka\n")
    if violation:
        module, imported = violation
        (tree / module / "violation.py").write_text(f"import {imported}\n")
    (tree / "pyproject.toml").write_text(tomli_w.dumps(_contracts()))
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(  # noqa: S603 - the venv's own lint-imports
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_a_tree_that_keeps_the_layers_passes(tmp_path: Path) -> None:
    result = _lint(tmp_path, None)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "imported", "contract"),
    [
        ("engine", "streams", "Layers"),
        ("connectors", "engine", "Layers"),
        ("schemas", "connectors", "Layers"),
        ("streams", "ops", "Layers"),
        ("engine", "faust", "Only the faust layer"),
        ("ops", "aiokafka", "Only the faust layer"),
        ("connectors", "rocksdict", "Only the faust layer"),
        ("streams", "standins", "Stand-ins only from the dev kit"),
        ("ops", "standins", "Stand-ins only from the dev kit"),
        ("standins", "connectors", "Stand-ins import nothing"),
    ],
)
def test_a_deliberate_violation_breaks_its_contract(
    tmp_path: Path, module: str, imported: str, contract: str
) -> None:
    result = _lint(tmp_path, (module, imported))
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken
    assert f"{module}.violation -> {imported}" in broken
