"""What a failed chaos check shows first: tether's own view of the entities it names.

A failure in CI is read from its message alone (the run's broker and logs are
gone), so the message starts with what would otherwise be looked up by hand:
``tether explain`` of each named entity, its row in the flow's link table
(the agreed values, when each side was last seen) and the id-map entries of
every id the problems mention. Never raises: a diagnosis that fails says so
and the check's own assertion stays the failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson

from devkit.local import LocalDeployment, latest_by_key
from streams.kafka_io import table_key
from streams.topics import TopicNames
from tests.integration.chaos.model import KINDS
from tests.integration.flowcontrol import tether_code

Explain = Callable[..., tuple[int, str]]


def named_entities(problems: list[str], most: int = 2) -> list[tuple[str, str]]:
    """The first ``most`` distinct (Webcrm type, id) pairs the problems name."""
    types = "|".join(kind.webcrm for kind in KINDS)
    found = re.findall(rf"\b({types}) (\d+)\b", "\n".join(problems))
    return list(dict.fromkeys(found))[:most]


def mentioned_ids(problems: list[str]) -> set[str]:
    """Every id-like token in the problems (Customcrm ids, Webcrm numbers)."""
    return set(re.findall(r"\b[A-Z]+-\d+\b|\b\d{3,}\b", "\n".join(problems)))


def diagnosis(
    local: LocalDeployment,
    problems: list[str],
    *,
    explain: Explain = tether_code,
    lines: int = 30,
) -> list[str]:
    """Sections for a failure message; empty when no entity is named."""
    shown = []
    for entity, webcrm_id in named_entities(problems):
        what = f"{entity} {webcrm_id}"
        explained = partial(_explain, local, explain, entity, webcrm_id, lines)
        shown.append(_guarded(f"tether explain webcrm {what}", explained))
        row = partial(_link_row, local, entity, webcrm_id)
        shown.append(_guarded(f"link row of {what}", row))
    if shown:
        idmap = partial(_idmap, local, mentioned_ids(problems), lines)
        shown.append(_guarded("id map entries of the ids named", idmap))
    return shown


def _guarded(title: str, make: Callable[[], str]) -> str:
    try:
        body = make()
    except Exception as exc:  # noqa: BLE001 - a diagnosis never hides the failure
        body = f"(not available: {exc!r})"
    return f"--- {title}:\n{body}"


def _explain(
    local: LocalDeployment, explain: Explain, entity: str, webcrm_id: str, lines: int
) -> str:
    code, text = explain(local, "explain", "webcrm", entity, webcrm_id)
    return f"(exit {code})\n" + "\n".join(text.splitlines()[-lines:])


def _link_row(local: LocalDeployment, entity: str, webcrm_id: str) -> str:
    kind = next(k for k in KINDS if k.webcrm == entity)
    topic = TopicNames(local.app_id).links_changelog(kind.flow)
    rows = by_table_key(local.read_topic(topic))
    row: Any = rows.get(webcrm_id)
    return orjson.dumps(row, option=orjson.OPT_SORT_KEYS).decode()


def _idmap(local: LocalDeployment, ids: set[str], lines: int) -> str:
    entries = by_table_key(local.read_topic(f"{local.app_id}-idmap-changelog"))
    found = [
        f"{key} = {value}"
        for key, value in sorted(entries.items())
        if key.rsplit("/", 1)[-1] in ids or str(value) in ids
    ]
    return "\n".join(found[:lines]) or "(none)"


def by_table_key(messages: list[tuple[str | None, Any]]) -> dict[str, Any]:
    """A changelog's latest rows by table key (faust JSON-encodes the keys)."""
    return {table_key(key): value for key, value in latest_by_key(messages).items()}
