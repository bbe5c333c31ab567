"""Write a ``DataflowDocument`` as a TOML definitions file, in the hand-written layout.

One ``[[flows]]`` table per flow, entity refs and match keys as inline tables and one
property row per line, so a written file reads like the ones in ``dataflows/``.
Row fields equal to their defaults are left out (``origin`` defaults to "tether").
"""

from __future__ import annotations

import tomllib
from typing import Any

import tomli_w

from schemas.dataflow import DataflowDocument, Flow, PropertyRow

# Row fields always written, whatever their value, for readability.
_ALWAYS = ("source", "target", "data_type")


def dump_document(document: DataflowDocument, *, header: str = "") -> str:
    """The TOML text for ``document``, preceded by ``header`` as comment lines.

    Raises:
        ValueError: the text would not read back as the same document (a bug here).
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines.append(f"source_system = {_value(document.source_system)}")
    lines.append(f"target_system = {_value(document.target_system)}")
    for key in ("source_display", "target_display"):
        value = getattr(document, key)
        if value is not None:
            lines.append(f"{key} = {_value(value)}")
    for flow in document.flows:
        lines += ["", *_flow(flow)]
    text = "\n".join(lines) + "\n"
    if DataflowDocument.model_validate(tomllib.loads(text)) != document:
        msg = f"the TOML written for {document.title} does not read back the same"
        raise ValueError(msg)
    return text


def _flow(flow: Flow) -> list[str]:
    lines = [
        "[[flows]]",
        f"name = {_value(flow.name)}",
        f"source = {_inline(flow.source.model_dump(mode='json'))}",
        f"target = {_inline(flow.target.model_dump(mode='json'))}",
        f"target_mode = {_value(flow.target_mode.value)}",
        f"delete_policy = {_value(flow.delete_policy.value)}",
    ]
    keys = [_inline(k.model_dump(mode="json")) for k in flow.match_keys]
    lines += _array("match_keys", keys)
    lines += _array("properties", [_inline(_row(r)) for r in flow.properties])
    return lines


def _row(row: PropertyRow) -> dict[str, Any]:
    explicit = row.model_dump(mode="json", exclude_defaults=True)
    full = row.model_dump(mode="json")
    return {k: v for k, v in full.items() if k in _ALWAYS or k in explicit}


def _array(key: str, items: list[str]) -> list[str]:
    if len(items) <= 1:
        return [f"{key} = [{', '.join(items)}]"]
    return [f"{key} = [", *(f"  {item}," for item in items), "]"]


def _inline(table: dict[str, Any]) -> str:
    pairs = ", ".join(f"{k} = {_value(v)}" for k, v in table.items())
    return f"{{ {pairs} }}"


def _value(value: Any) -> str:
    # tomli_w knows TOML's escaping rules; borrow them for one value at a time.
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")
