"""Helpers for end-to-end scenarios: start a deployment, read links, compare values."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from devkit.local import LocalDeployment, latest_by_key
from standins import CustomcrmStandIn, StandIn, WebcrmStandIn

ORGS = "webcrm-organisations-to-customcrm-customer"
PERSONS = "webcrm-persons-to-customcrm-contact"
PRODUCTS = "webcrm-products-to-customcrm-product"


@contextmanager
def webcrm_customcrm(
    bootstrap: str, home: Path, **deployment: Any
) -> Iterator[tuple[LocalDeployment, WebcrmStandIn, CustomcrmStandIn]]:
    """Two fresh stand-ins and a deployment (no worker started yet)."""
    webcrm, customcrm = WebcrmStandIn().start(), CustomcrmStandIn().start()
    standins: dict[str, StandIn] = {"webcrm": webcrm, "customcrm": customcrm}
    local = LocalDeployment(
        bootstrap=bootstrap,
        app_id=f"it-{uuid.uuid4().hex[:10]}",
        home=home,
        standins=standins,
        flows="webcrm-customcrm",
        **deployment,
    )
    try:
        yield local, webcrm, customcrm
    finally:
        local.stop()
        webcrm.stop()
        customcrm.stop()


def links(local: LocalDeployment, flow: str) -> dict[str, str]:
    """The current links of ``flow``: source id -> target id (from link notices)."""
    notices = latest_by_key(local.read_topic(local.topics.links(flow)))
    return {
        n["source_id"]: target for target, n in notices.items() if n["op"] == "link"
    }


def counts(customcrm: CustomcrmStandIn) -> tuple[int, int, int]:
    """Live customers, contacts and products in Customcrm."""
    return tuple(  # type: ignore[return-value]
        len([r for r in customcrm.records(res) if not r.get("Deleted")])
        for res in ("customers", "contacts", "products")
    )
