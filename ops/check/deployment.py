"""``check_deployment``: every check of ``tether check``, in the order they depend.

Settings first (a wrong value is named by its variable), then the flows they
select, then the systems those flows use and the broker, both live. A check
that cannot run because an earlier one failed is reported as skipped.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic_settings import BaseSettings

from connectors.base.settings import ConnectorSettings, load_settings
from connectors.errors import ConfigurationError
from ops.check.findings import Finding, Outcome
from ops.check.probes import check_broker, check_systems, flow_types
from ops.check.settings import is_connector_settings, settings_classes, variables
from schemas.dataflow import Flow
from streams.settings import StreamSettings


def check_settings(
    classes: list[type[BaseSettings]],
) -> tuple[list[Finding], StreamSettings | None]:
    """Each settings class that is not a system's, loaded from the environment."""
    findings: list[Finding] = []
    stream: StreamSettings | None = None
    for cls in classes:
        if is_connector_settings(cls):
            continue
        prefix = str(cls.model_config.get("env_prefix", "")).upper()
        try:
            loaded = load_settings(cls)
        except ConfigurationError as exc:
            findings.append(Finding("settings", cls.__name__, Outcome.CONFIG, str(exc)))
            continue
        if isinstance(loaded, StreamSettings):
            stream = loaded
        findings.append(Finding("settings", cls.__name__, Outcome.OK, f"{prefix}*"))
    return findings, stream


def unknown_variables(
    environ: Mapping[str, str], classes: list[type[BaseSettings]], systems: set[str]
) -> list[Finding]:
    """``TETHER_*`` and ``{SYSTEM}_*`` variables no setting reads: likely typos."""
    known = {v.name for cls in classes for v in variables(cls)}
    prefixes = ("TETHER_", *(f"{s.upper()}_" for s in systems))
    return [
        Finding(
            "settings",
            name,
            Outcome.WARNING,
            "no setting reads this variable (a typo?)",
        )
        for name in sorted(environ)
        if name.upper().startswith(prefixes) and name.upper() not in known
    ]


def _system_settings(
    systems: set[str],
) -> tuple[list[Finding], dict[str, ConnectorSettings]]:
    from connectors import REGISTRY

    findings: list[Finding] = []
    loaded: dict[str, ConnectorSettings] = {}
    for system in REGISTRY:
        if system not in systems:
            detail = f"not configured: no {system.upper()}_* variable set"
            findings.append(Finding(system, "settings", Outcome.SKIPPED, detail))
            continue
        try:
            loaded[system] = REGISTRY[system].settings.load()
        except ConfigurationError as exc:
            findings.append(Finding(system, "settings", Outcome.CONFIG, str(exc)))
    return findings, loaded


def _active_flows(
    stream: StreamSettings, systems: set[str]
) -> tuple[Finding, dict[str, Flow]]:
    from dataflows import flows_by_name, load_documents
    from engine.selection import select_flows

    try:
        flows = select_flows(flows_by_name(load_documents()), stream.flows, systems)
    except ConfigurationError as exc:
        return Finding("flows", "TETHER_FLOWS", Outcome.CONFIG, str(exc)), {}
    if not systems:
        detail = "no system is configured: set its {SYSTEM}_* variables"
        return Finding("flows", "TETHER_FLOWS", Outcome.CONFIG, detail), {}
    if not flows:
        detail = (
            f"TETHER_FLOWS={stream.flows} selects no flow between configured systems"
        )
        return Finding("flows", "TETHER_FLOWS", Outcome.CONFIG, detail), {}
    detail = f"{len(flows)} active: {', '.join(flows)}"
    return Finding("flows", "TETHER_FLOWS", Outcome.OK, detail), flows


def check_data_dir(path: Path) -> Finding:
    """Whether the worker could keep its state in ``path`` (asked, not tried)."""
    existing = next((p for p in (path, *path.parents) if p.exists()), Path("/"))
    if not existing.is_dir():
        detail = f"TETHER_DATA_DIR={path}: {existing} is not a directory"
        return Finding("settings", "TETHER_DATA_DIR", Outcome.CONFIG, detail)
    if not os.access(existing, os.W_OK | os.X_OK):
        detail = f"TETHER_DATA_DIR={path}: {existing} is not writable by this user"
        return Finding("settings", "TETHER_DATA_DIR", Outcome.CONFIG, detail)
    state = "exists" if existing == path else f"will be created in {existing}"
    return Finding("settings", "TETHER_DATA_DIR", Outcome.OK, f"{path} {state}")


def check_public_url(stream: StreamSettings) -> list[Finding]:
    """The webhook base URL, once ``StreamSettings`` accepted it (https or loopback).

    A refused one (plain http to another host) fails ``StreamSettings`` itself,
    whose finding names ``TETHER_PUBLIC_URL`` and why.
    """
    if not stream.public_url:
        return []
    detail = f"{stream.public_url} (webhook targets are registered under it)"
    return [Finding("settings", "TETHER_PUBLIC_URL", Outcome.OK, detail)]


async def check_deployment(
    environ: Mapping[str, str], answer_within: float = 30.0
) -> list[Finding]:
    """Every finding of ``tether check`` for the settings in ``environ``."""
    from connectors import REGISTRY
    from engine.selection import configured_systems

    classes = settings_classes()
    findings, stream = check_settings(classes)
    if stream is not None:
        findings.append(check_data_dir(stream.data_dir))
        findings += check_public_url(stream)
    systems = configured_systems(environ) & set(REGISTRY)
    findings += unknown_variables(environ, classes, systems)
    system_findings, connector_settings = _system_settings(systems)
    if stream is None:
        findings.append(
            Finding("broker", "-", Outcome.SKIPPED, "StreamSettings are invalid")
        )
        findings.append(
            Finding(
                "flows", "TETHER_FLOWS", Outcome.SKIPPED, "StreamSettings are invalid"
            )
        )
        types: dict[str, list[str]] = {}
    else:
        flow_finding, flows = _active_flows(stream, systems)
        findings.append(flow_finding)
        types = flow_types(flows.values())
    # Live checks run together: a slow system does not hold up the others.
    systems_live, broker = await asyncio.gather(
        check_systems(connector_settings, types, answer_within),
        _broker(stream, answer_within),
    )
    order = {system: n for n, system in enumerate(REGISTRY)}
    per_system = sorted([*system_findings, *systems_live], key=lambda f: order[f.area])
    return [*findings, *broker, *per_system]


async def _broker(stream: StreamSettings | None, answer_within: float) -> list[Finding]:
    if stream is None:
        return []
    return [await check_broker(stream.kafka_bootstrap, stream.app_id, answer_within)]
