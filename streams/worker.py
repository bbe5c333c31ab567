"""Builds a ready-to-run worker: settings, active flows, connectors, topology."""

from __future__ import annotations

import logging
import os

import faust

from connectors.base.settings import load_settings
from connectors.errors import ConfigurationError
from dataflows import flows_by_name, load_documents
from engine.runtime import Connectors
from engine.selection import configured_systems, select_flows
from streams.app import create_app
from streams.cleanstop import guard_local_tables
from streams.grants import share_grants
from streams.preload import preload_sync
from streams.provision import ensure_topics_sync
from streams.settings import StreamSettings
from streams.topology import Topology
from streams.web import wire_push
from streams.webui import wire_webui

log = logging.getLogger(__name__)


def build_worker(settings: StreamSettings | None = None) -> faust.App:
    """A faust app with every active flow wired and its topics created.

    Ready for ``app.main()``; raises ``ConfigurationError`` for anything an
    operator must fix first (flows, credentials, an unreachable broker).
    """
    settings = settings or load_settings(StreamSettings)
    available = configured_systems(os.environ)
    flows = select_flows(flows_by_name(load_documents()), settings.flows, available)
    if not flows:
        msg = (
            "no flow is active: configure both systems of a flow "
            "(e.g. WEBCRM_API_TOKEN and CUSTOMCRM_BASE_URL/CUSTOMCRM_API_KEY)"
        )
        raise ConfigurationError(msg)
    systems = {f.source.system for f in flows.values()}
    systems |= {f.target.system for f in flows.values()}
    connectors = Connectors(systems)
    app = create_app(settings)
    topology = Topology(app, settings, flows, connectors)
    wire_webui(app, settings, topology)  # the page first: it answers "/"
    pushing = wire_push(app, settings, topology)
    sharing, grant_topics = share_grants(
        connectors, settings.kafka_bootstrap, settings.app_id
    )
    created = ensure_topics_sync(
        settings.kafka_bootstrap,
        [*topology.topic_specs, *grant_topics],
        settings.replication_factor,
        max_message_bytes=settings.max_message_bytes,
    )
    if created:
        log.info("created %d topics", len(created))
    # Before anything opens the databases: after a kill they are rebuilt.
    guard_local_tables(app)
    if settings.table_preload:
        preload_sync(app, settings.kafka_bootstrap)
    log.info("tether worker: %d flows %s", len(flows), sorted(flows))
    if sharing:
        log.info("rotating tokens of %s shared on %s", ", ".join(sharing),
                 grant_topics[0].name)  # fmt: skip
    if pushing:
        log.info("webhooks received for %s; polling stays on", ", ".join(pushing))
    return app
