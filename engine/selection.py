"""Which flows a deployment runs (``TETHER_FLOWS``); faust-free, for any command."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from connectors.errors import ConfigurationError
from schemas.dataflow import Flow

log = logging.getLogger(__name__)


def select_flows(
    flows: dict[str, Flow], wanted: str, available: set[str]
) -> dict[str, Flow]:
    """The flows named by ``wanted`` (flow or document names, or ``all``).

    With ``all``, flows between systems that have no connector yet are skipped
    and logged; named explicitly, they are a configuration error.
    """
    if wanted.strip() == "all":
        chosen = {}
        for name, flow in flows.items():
            missing = {flow.source.system, flow.target.system} - available
            if missing:
                log.info("flow %s skipped: no connector for %s", name, sorted(missing))
                continue
            chosen[name] = flow
        return _with_dependencies(chosen, flows)
    chosen = {}
    for item in (w.strip() for w in wanted.split(",") if w.strip()):
        matches = {
            n: f
            for n, f in flows.items()
            if item in (n, f"{f.source.system}-{f.target.system}")
        }
        if not matches:
            msg = f"unknown flow or document {item!r}; flows: {', '.join(flows)}"
            raise ConfigurationError(msg)
        chosen.update(matches)
    for flow in chosen.values():
        missing = {flow.source.system, flow.target.system} - available
        if missing:
            msg = f"flow {flow.name} needs a connector for {', '.join(sorted(missing))}"
            raise ConfigurationError(msg)
    return _with_dependencies(chosen, flows)


def _with_dependencies(
    chosen: dict[str, Flow], flows: dict[str, Flow]
) -> dict[str, Flow]:
    for flow in list(chosen.values()):
        for needed in flow.depends_on:
            if needed not in chosen:
                msg = f"flow {flow.name} references {needed}, which is not active"
                raise ConfigurationError(msg)
    return chosen


def configured_systems(environ: Mapping[str, str]) -> set[str]:
    """Systems with a connector and at least one ``{SYSTEM}_*`` setting in the env.

    ``TETHER_FLOWS=all`` runs the flows between these; a system that is half
    configured is still in the set, so its missing setting is reported.
    """
    from connectors import REGISTRY

    return {
        system
        for system in REGISTRY
        if any(key.startswith(f"{system.upper()}_") for key in environ)
    }
