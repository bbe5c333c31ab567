"""The ACL layout names exactly the topics a worker's topology creates and uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base.settings import load_settings
from dataflows import flows_by_name, load_documents
from engine.runtime import Connectors
from engine.selection import select_flows
from ops.acls import layout
from streams.app import create_app
from streams.settings import StreamSettings
from streams.topology import Topology

SYSTEMS = {"webcrm", "customcrm"}


@pytest.fixture
def topology(monkeypatch, tmp_path: Path) -> Topology:
    """The topology of a worker running the Webcrm-Customcrm document."""
    env = {
        "WEBCRM_BASE_URL": "http://127.0.0.1:1",
        "WEBCRM_API_TOKEN": "token",
        "CUSTOMCRM_BASE_URL": "http://127.0.0.1:1/api",
        "CUSTOMCRM_API_KEY": "key",
        "TETHER_DATA_DIR": str(tmp_path),
        "TETHER_WEB_ENABLED": "false",
        "TETHER_APP_ID": "prod",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(StreamSettings)
    flows = select_flows(flows_by_name(load_documents()), "webcrm-customcrm", SYSTEMS)
    return Topology(create_app(settings), settings, flows, Connectors(SYSTEMS))


def test_the_layout_is_the_topology_s_topics(topology: Topology) -> None:
    found = {
        t.name: t.compacted for t in layout("prod", topology.flows.values()).topics
    }
    made = {s.name: s.compacted for s in topology.topic_specs}
    assert made == found
    changelogs = {
        t.changelog_topic.get_topic_name() for t in topology.app.tables.values()
    }
    assert changelogs <= set(found)
