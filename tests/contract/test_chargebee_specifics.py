"""Chargebee behaviour beyond the shared contract, against the Chargebee stand-in.

The flows into Chargebee (``dataflows/customwebshop-chargebee.toml``) need:
business entities found by name though the API cannot list them, orders found by
``reference_id`` and updated (never created), items created under the SKU as id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from connectors import Connector, build_connector
from connectors.base.protocols import SourcePage
from connectors.chargebee import ENTITIES, ChargebeeSettings
from connectors.errors import RejectedRecordError
from dataflows import load_documents
from schemas.envelope import Cursor, Operation
from standins import ChargebeeStandIn

INVOICE = {
    "id": "inv_501",
    "customer_id": "cust_42",
    "line_items": [{"id": "li_1", "description": "Dues", "amount": 50000}],
}


@pytest.fixture(scope="module")
def server() -> Iterator[ChargebeeStandIn]:
    with ChargebeeStandIn() as standin:
        yield standin


@pytest.fixture
def chargebee(server: ChargebeeStandIn) -> ChargebeeStandIn:
    server.reset()
    return server


def _settings(standin: ChargebeeStandIn, **values: object) -> ChargebeeSettings:
    options: dict[str, object] = {
        "base_url": f"{standin.url}/api/v2",
        "api_key": SecretStr(standin.api_key),
        "page_size": 2,
        "timeout": 5.0,
    }
    return ChargebeeSettings(**(options | values))  # type: ignore[arg-type]


@pytest.fixture
async def connector(chargebee: ChargebeeStandIn) -> AsyncIterator[Connector]:
    async with build_connector("chargebee", _settings(chargebee)) as opened:
        yield opened


async def read_all(
    connector: Connector, entity: str, cursor: Cursor | None = None
) -> list[SourcePage]:
    return [page async for page in connector.source.read(entity, cursor)]


def test_the_flow_fields_exist_in_the_wire_models() -> None:
    models = {spec.name: spec.model for spec in ENTITIES}
    for document in load_documents():
        for flow in document.flows:
            if flow.target.system != "chargebee":
                continue
            fields = models[flow.target.type].model_fields
            for row in flow.properties:
                assert row.target.split(".")[0] in fields, (flow.name, row.target)
            for key in flow.match_keys:
                assert key.target.split(".")[0] in fields, (flow.name, key.target)


async def test_business_entities_are_read_and_found_through_events(
    chargebee: ChargebeeStandIn, connector: Connector
) -> None:
    chargebee.seed(
        "business_entities",
        [
            {"id": "acme-no", "name": "Acme Norge AS", "updated_at": 1704067200},
            {"id": "fjord", "name": "Fjord AS", "updated_at": 1704067300},
            {"id": "vest", "name": "Vest AS", "updated_at": 1704067400},
        ],
    )
    pages = await read_all(connector, "Business_entity")
    assert [e.id for p in pages for e in p.events] == ["acme-no", "fjord", "vest"]
    cursor = pages[-1].cursor
    assert await read_all(connector, "Business_entity", cursor) == []

    chargebee.edit("business_entities", "fjord", {"name": "Fjord Bygg AS"})
    chargebee.edit("business_entities", "vest", {"deleted": True})
    changes = await read_all(connector, "Business_entity", cursor)
    assert [(e.id, e.op) for p in changes for e in p.events] == [
        ("fjord", Operation.UPSERT),
        ("vest", Operation.DELETE),
    ]

    sink = connector.sink
    assert sink.capabilities("Business_entity").lookup_only
    found = await sink.find("Business_entity", "name", "fjord bygg as")
    assert [e.id for e in found] == ["fjord"]
    assert await sink.find("Business_entity", "name", "Fjord AS") == []
    assert await sink.find("Business_entity", "name", "Vest AS") == []
    vest = await sink.get("Business_entity", "vest")
    assert vest is not None
    assert vest.op is Operation.DELETE
    with pytest.raises(RejectedRecordError, match="cannot create"):
        await sink.create("Business_entity", {"name": "New AS"}, idempotency_key="k")
    assert chargebee.write_count() == 0


async def test_orders_are_found_by_reference_and_updated_never_created(
    chargebee: ChargebeeStandIn, connector: Connector
) -> None:
    chargebee.seed("invoices", [INVOICE])
    chargebee.seed(
        "orders",
        [
            {"id": f"ord_{n}", "invoice_id": "inv_501", "reference_id": f"O-{n}"}
            for n in range(5001, 5006)
        ],
    )
    sink = connector.sink
    [order] = await sink.find("Order", "reference_id", "O-5004")
    updated = await sink.update(
        "Order", order.id, {"order_date": "2024-03-01T00:00:00+00:00"}
    )
    assert updated.data is not None
    assert updated.data["order_date"] == 1709251200
    assert chargebee.get("orders", order.id)["order_date"] == 1709251200
    with pytest.raises(RejectedRecordError, match="cannot create"):
        await sink.create("Order", {"reference_id": "O-1"}, idempotency_key="k")
    # Changing what the invoice fixed is refused by Chargebee itself.
    with pytest.raises(RejectedRecordError, match="400"):
        await sink.update("Order", order.id, {"currency_code": "EUR"})
    assert chargebee.write_count("orders") == 1


async def test_items_are_created_under_the_sku_and_deletes_are_read(
    chargebee: ChargebeeStandIn, connector: Connector
) -> None:
    sink = connector.sink
    created = await sink.create(
        "Item", {"id": "WP-1", "name": "Widget"}, idempotency_key="first"
    )
    assert created.id == "WP-1"
    # The server forgot nothing here, but a new key must still not duplicate.
    again = await sink.create(
        "Item", {"id": "WP-1", "name": "Widget"}, idempotency_key="second"
    )
    assert again.id == "WP-1"
    assert [r["id"] for r in chargebee.records("items")] == ["WP-1"]
    stored = chargebee.get("items", "WP-1")
    assert (stored["type"], stored["item_family_id"]) == ("charge", "webshop-products")

    cursor = (await read_all(connector, "Item"))[-1].cursor
    await sink.delete("Item", "WP-1")
    pages = await read_all(connector, "Item", cursor)
    assert [(e.id, e.op) for p in pages for e in p.events] == [
        ("WP-1", Operation.DELETE)
    ]
    with pytest.raises(RejectedRecordError):
        await sink.update("Item", "WP-1", {"name": "Back"})
    with pytest.raises(RejectedRecordError):
        await sink.create("Item", {"id": "WP-1", "name": "W"}, idempotency_key="3")


async def test_two_writes_in_one_second_are_both_read(
    chargebee: ChargebeeStandIn, connector: Connector
) -> None:
    sink = connector.sink
    await sink.create("Item", {"id": "a", "name": "A"}, idempotency_key="a")
    cursor = (await read_all(connector, "Item"))[-1].cursor
    await sink.update("Item", "a", {"name": "A2"})
    await sink.update("Item", "a", {"name": "A3"})
    first = await read_all(connector, "Item", cursor)
    names = [e.data["name"] for p in first for e in p.events if e.data]
    assert names[-1] == "A3"
    assert await read_all(connector, "Item", first[-1].cursor) == []


async def test_customers_get_a_client_chosen_id_and_billing_info(
    chargebee: ChargebeeStandIn, connector: Connector
) -> None:
    sink = connector.sink
    data = {"first_name": "Kari", "email": "kari@x.no"}
    created = await sink.create("Customer", data, idempotency_key="cust-1")
    again = await sink.create("Customer", data, idempotency_key="cust-1")
    assert again.id == created.id
    assert len(chargebee.records("customers")) == 1
    updated = await sink.update(
        "Customer", created.id, {"billing_address": {"city": "Oslo"}, "phone": "22"}
    )
    assert updated.data is not None
    assert updated.data["billing_address"]["city"] == "Oslo"
    assert updated.data["phone"] == "22"
    [found] = await sink.find("Customer", "email", "kari@x.no")
    assert found.id == created.id


async def test_the_servers_rate_limit_is_waited_out(
    chargebee: ChargebeeStandIn,
) -> None:
    chargebee.set_faults(rate_limit=1, rate_window_s=1.0)
    settings = _settings(chargebee, rate_limit_per_minute=None, max_attempts=3)
    async with build_connector("chargebee", settings) as connector:
        assert await connector.sink.get("Item", "nope") is None
        assert await connector.sink.get("Item", "nope") is None  # after a 429
    assert chargebee.injector.injected[429] >= 1
