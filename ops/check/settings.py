"""Every settings class of tether, found in the source, and every variable it reads.

The classes are found by reading the packages' source (a class whose base is a
``...Settings`` class), not from a hand-kept list: a settings class added
anywhere is validated by ``tether check`` and listed in ``.env.example`` without
anyone remembering to register it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from connectors.base.settings import ConnectorSettings

# Where settings are read; ``ops`` reads none of its own, ``standins`` are not
# tether's, ``devkit`` holds the local broker's.
PACKAGES = ("streams", "engine", "connectors", "devkit", "ops")

_ATTRIBUTE = re.compile(r"^\s{4,}(\w+):\s*(.*)$")
_FIELD = re.compile(r"^    (\w+)\s*:")


@dataclass(frozen=True)
class Variable:
    """One environment variable a settings class reads."""

    name: str
    field: str
    required: bool
    default: str
    secret: bool
    help: str


def _module_names(package: str) -> Iterator[str]:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return
    for location in spec.submodule_search_locations:
        root = Path(location)
        # The package's own settings module first (StreamSettings heads the list).
        paths = sorted(root.rglob("*.py"), key=lambda p: (p != root / "settings.py", p))
        for path in paths:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            if any(_is_settings_class(node) for node in ast.walk(tree)):
                parts = path.relative_to(root).with_suffix("").parts
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                yield ".".join((package, *parts))


def _is_settings_class(node: ast.AST) -> bool:
    if not isinstance(node, ast.ClassDef):
        return False
    names = [
        b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
    ]
    return any(name.endswith("Settings") for name in names)


def settings_classes() -> list[type[BaseSettings]]:
    """Every concrete settings class (one with an env prefix), in package order."""
    found: dict[str, type[BaseSettings]] = {}
    for package in PACKAGES:
        for module_name in _module_names(package):
            module = importlib.import_module(module_name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(cls, BaseSettings)
                    and cls.__module__ == module_name
                    and cls.model_config.get("env_prefix")
                ):
                    found.setdefault(f"{module_name}.{cls.__qualname__}", cls)
    return list(found.values())


def is_connector_settings(cls: type[BaseSettings]) -> bool:
    """Whether ``cls`` is a system's connection settings (needed only when used)."""
    return issubclass(cls, ConnectorSettings)


def attribute_docs(cls: type[Any]) -> dict[str, str]:
    """``name: text`` of the ``Attributes:`` sections of ``cls`` and its bases."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        lines = inspect.cleandoc(klass.__dict__.get("__doc__") or "").splitlines()
        inside = False
        current = ""
        for line in lines:
            if line.strip() == "Attributes:":
                inside = True
                continue
            if inside and line and not line.startswith(" "):
                inside = False
            if not inside:
                continue
            match = _ATTRIBUTE.match(line)
            if match and len(line) - len(line.lstrip()) == 4:
                current = match.group(1)
                docs[current] = match.group(2).strip()
            elif current and line.strip():
                docs[current] = f"{docs[current]} {line.strip()}"
    return docs


def source_comments(cls: type[Any]) -> dict[str, str]:
    """The ``#`` comment lines right above each field of ``cls`` in its source."""
    try:
        lines = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):
        return {}
    comments: dict[str, str] = {}
    above: list[str] = []
    for line in lines:
        text = line.strip()
        if text.startswith("#"):
            above.append(text.lstrip("#").strip())
            continue
        match = _FIELD.match(line)
        if match and above:
            comments[match.group(1)] = " ".join(above)
        above = []
    return comments


def _default_text(info: FieldInfo) -> str:
    import orjson

    if info.is_required():
        return ""
    value = info.get_default(call_default_factory=True)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return orjson.dumps(value).decode()
    return str(value)


def variables(cls: type[BaseSettings]) -> list[Variable]:
    """The environment variables ``cls`` reads, with defaults and help."""
    prefix = str(cls.model_config.get("env_prefix", "")).upper()
    docs = {**source_comments(cls), **attribute_docs(cls)}
    out = []
    for field, info in cls.model_fields.items():
        annotation = str(info.annotation)
        out.append(
            Variable(
                name=f"{prefix}{field.upper()}",
                field=field,
                required=info.is_required(),
                default=_default_text(info),
                secret="SecretStr" in annotation,
                help=" ".join((info.description or docs.get(field, "")).split()),
            )
        )
    return out


def known_variables() -> set[str]:
    """Every environment variable tether's settings read."""
    return {v.name for cls in settings_classes() for v in variables(cls)}
