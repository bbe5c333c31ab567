"""Customwebshop behaviour beyond the shared contract, against its stand-in.

Customwebshop is the target of the Membercare and Tidsbanken flows and the source
of the Chargebee flows: every field those definitions name must exist, and an
order's lines, addressed by path, must be written without losing the others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from connectors import Connector, build_connector
from connectors.customwebshop import ENTITIES, CustomwebshopSettings
from connectors.errors import RejectedRecordError
from dataflows import load_documents
from schemas.base import WireModel
from schemas.customwebshop import OrderLine
from standins import CustomwebshopStandIn
from standins.customwebshop import CUSTOMWEBSHOP_RESOURCES, LINE_FIELDS

_TABLES = {"Customer": "customers", "Order": "orders", "Product": "products"}


@pytest.fixture(scope="module")
def server() -> Iterator[CustomwebshopStandIn]:
    with CustomwebshopStandIn() as standin:
        yield standin


@pytest.fixture
def shop(server: CustomwebshopStandIn) -> CustomwebshopStandIn:
    server.reset()
    return server


@pytest.fixture
async def connector(shop: CustomwebshopStandIn) -> AsyncIterator[Connector]:
    settings = CustomwebshopSettings(
        base_url=shop.url, api_key=SecretStr(shop.api_key), page_size=2, timeout=5.0
    )
    async with build_connector("customwebshop", settings) as opened:
        yield opened


def _has_path(model: type[WireModel], table: str, path: str) -> bool:
    head, *rest = [p for p in path.split(".") if not p.isdigit()]
    aliases = {f.alias or name for name, f in model.model_fields.items()}
    if head not in aliases or head not in CUSTOMWEBSHOP_RESOURCES[table].layout():
        return False
    if not rest:
        return True
    line_aliases = {f.alias or n for n, f in OrderLine.model_fields.items()}
    return head == "Lines" and rest[0] in line_aliases and rest[0] in LINE_FIELDS


def test_every_field_the_flows_name_exists() -> None:
    models = {spec.name: spec.model for spec in ENTITIES}
    checked = 0
    for document in load_documents():
        for flow in document.flows:
            for side, paths in (
                (flow.target, [r.target for r in flow.properties]),
                (flow.source, [r.source for r in flow.properties]),
            ):
                if side.system != "customwebshop":
                    continue
                keys = [
                    k.target if side is flow.target else k.source
                    for k in flow.match_keys
                ]
                for path in paths + keys:
                    model, table = models[side.type], _TABLES[side.type]
                    assert _has_path(model, table, path), (flow.name, path)
                    checked += 1
    assert checked > 40  # three documents name Customwebshop fields


async def test_one_line_changed_by_path_keeps_the_other_lines(
    shop: CustomwebshopStandIn, connector: Connector
) -> None:
    lines = [
        {"ProductId": "PR-1", "Description": "Dues", "Quantity": 1, "UnitPrice": 500},
        {"ProductId": "PR-2", "Description": "Magazine", "UnitPrice": 100},
    ]
    [order] = shop.seed("orders", [{"Reference": "77", "Lines": lines}])
    updated = await connector.sink.update(
        "Order", order["Id"], {"Lines": {"0": {"Quantity": 2.0}}}
    )
    assert updated.data is not None
    stored = shop.get("orders", order["Id"])
    assert [line["Quantity"] for line in stored["Lines"]] == [2.0, 1]
    assert stored["Lines"][1]["Description"] == "Magazine"
    assert stored["Total"] == 1100.0
    assert updated.data["Total"] == 1100.0


async def test_a_membercare_style_order_is_created(
    shop: CustomwebshopStandIn, connector: Connector
) -> None:
    data = {
        "Reference": "4711",
        "CustomerId": "C-1001",
        "OrderDate": "2024-03-01",
        "Lines": {
            "0": {"Description": "Dues 2024", "Quantity": 1.0, "UnitPrice": 750.0}
        },
    }
    created = await connector.sink.create("Order", data, idempotency_key="m:4711")
    assert created.data is not None
    assert created.data["Lines"][0]["Description"] == "Dues 2024"
    assert created.data["Total"] == 750.0
    [found] = await connector.sink.find("Order", "Reference", "4711")
    assert found.id == created.id


async def test_values_the_shop_refuses_are_rejected_records(
    connector: Connector,
) -> None:
    with pytest.raises(RejectedRecordError, match="422"):
        await connector.sink.create(
            "Order", {"OrderDate": "01.03.2024"}, idempotency_key="bad-date"
        )
    with pytest.raises(RejectedRecordError, match="400"):
        await connector.sink.create(
            "Order", {"Lines": [{"Sku": "x"}]}, idempotency_key="bad-line"
        )
