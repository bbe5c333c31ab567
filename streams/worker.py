"""Builds a ready-to-run worker: settings, active flows, connectors, topology."""

from __future__ import annotations

import logging

import faust

from connectors.errors import ConfigurationError
from dataflows import flows_by_name, load_documents
from schemas.dataflow import Flow
from streams.app import create_app
from streams.provision import ensure_topics_sync
from streams.runtime import Connectors
from streams.settings import StreamSettings
from streams.topology import Topology

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


def build_worker(settings: StreamSettings | None = None) -> faust.App:
    """A faust app with every active flow wired and its topics created.

    Ready for ``app.main()``; raises ``ConfigurationError`` for anything an
    operator must fix first (flows, credentials, an unreachable broker).
    """
    from connectors import REGISTRY

    settings = settings or StreamSettings()
    flows = select_flows(flows_by_name(load_documents()), settings.flows, set(REGISTRY))
    if not flows:
        msg = "no flow is active; set TETHER_FLOWS or add connectors"
        raise ConfigurationError(msg)
    systems = {f.source.system for f in flows.values()}
    systems |= {f.target.system for f in flows.values()}
    connectors = Connectors(systems)
    app = create_app(settings)
    topology = Topology(app, settings, flows, connectors)
    created = ensure_topics_sync(
        settings.kafka_bootstrap, topology.topic_specs, settings.replication_factor
    )
    if created:
        log.info("created %d topics", len(created))
    log.info("tether worker: %d flows %s", len(flows), sorted(flows))
    return app
