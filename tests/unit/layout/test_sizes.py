"""Product code stays readable in pieces: modules up to 400 lines, classes up to 250.

Split by concept when one grows past that (STYLE.md L3); tests are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PACKAGES = (
    "schemas",
    "connectors",
    "dataflows",
    "engine",
    "streams",
    "devkit",
    "ops",
    "standins",
)
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 250


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (REPO / package).rglob("*.py"))


def test_every_product_package_is_measured() -> None:
    assert all((REPO / package / "__init__.py").is_file() for package in PACKAGES)
    assert len(_modules()) > 100


@pytest.mark.parametrize("module", _modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_module_and_class_sizes(module: Path) -> None:
    text = module.read_text()
    lines = len(text.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{module.name}: {lines} lines; split it"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= MAX_CLASS_LINES, (
                f"class {node.name} in {module.name}: {length} lines; split it"
            )
