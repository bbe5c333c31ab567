"""Chargebee's endpoints under ``/api/v2``: items, orders, customers, reads, events.

There is deliberately no route for creating, updating, listing or retrieving
business entities: the real API has none (404). Their lifecycle is visible only
through ``GET /events``, and ``POST /business_entities/transfers`` is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import JsonResponse
from standins.chargebee.errors import api_error, not_found, wrong_value
from standins.chargebee.fields import (
    merge,
    new_customer,
    new_item,
    new_order,
    refuse_if_deleted,
    stamp,
    update_order,
)
from standins.chargebee.form import FormError
from standins.chargebee.lists import LISTS, list_page
from standins.chargebee.params import (
    CUSTOMER_BILLING,
    CUSTOMER_CREATE,
    CUSTOMER_UPDATE,
    ITEM_CREATE,
    ITEM_REQUIRED,
    ITEM_UPDATE,
    ORDER_CANCEL,
    ORDER_CREATE,
    ORDER_UPDATE,
    Param,
    read_params,
)
from standins.store import Record

if TYPE_CHECKING:
    from standins.chargebee.app import ChargebeeStandIn

PREFIX = "/api/v2"
Action = Callable[[dict[str, Any], dict[str, str]], Record]
"""A write: (raw params, path params) -> the changed resource (store lock held)."""


def _params(
    spec: dict[str, Param], raw: dict[str, Any], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    try:
        return read_params(spec, raw, required)
    except FormError as exc:
        raise wrong_value(str(exc), exc.param) from None


def chargebee_routes(sim: ChargebeeStandIn) -> list[BaseRoute]:
    """Every API route, bound to ``sim``."""

    def live(resource: str, key: str) -> Record:
        record = sim.store.get(resource, key)
        if not isinstance(record, dict):
            raise not_found(LISTS[resource].key, key)
        return record

    def listing(resource: str) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            sim.require_key(request)
            entries = sim.store.entries(resource)
            pairs = request.query_params.multi_items()
            return JsonResponse(list_page(entries, pairs, LISTS[resource]))

        return handler

    def retrieve(resource: str) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            sim.require_key(request)
            key = request.path_params["id"]
            return JsonResponse({LISTS[resource].key: live(resource, key)})

        return handler

    def write(resource: str, action: Action) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            return await sim.post(request, LISTS[resource].key, action)

        return handler

    # -- items --------------------------------------------------------------------

    def create_item(raw: dict[str, Any], _: dict[str, str]) -> Record:
        params = _params(ITEM_CREATE, raw, ITEM_REQUIRED)
        sim.require_family(params["item_family_id"])
        if sim.store.has("items", params["id"]):
            msg = f"The value {params['id']} is already present."
            raise api_error(400, msg, "duplicate_entry", "id")
        item = new_item(params, sim.store.tick())
        return sim.save("items", params["id"], item, "item_created", "api")

    def update_item(raw: dict[str, Any], path: dict[str, str]) -> Record:
        current = live("items", path["id"])
        params = _params(ITEM_UPDATE, raw)
        refuse_if_deleted(current, "item")
        if params.get("item_family_id"):
            sim.require_family(params["item_family_id"])
        if params.get("status") == "archived" and current.get("status") != "archived":
            params["archived_at"] = stamp(sim.store.tick())["updated_at"]
        item = merge(current, params) | stamp(sim.store.tick())
        return sim.save("items", path["id"], item, "item_updated", "api")

    def delete_item(raw: dict[str, Any], path: dict[str, str]) -> Record:
        current = live("items", path["id"])
        _params({}, raw)
        refuse_if_deleted(current, "item")
        item = current | {"status": "deleted", "deleted": True}
        item |= stamp(sim.store.tick())
        return sim.save("items", path["id"], item, "item_deleted", "api")

    # -- orders -------------------------------------------------------------------

    def create_order(raw: dict[str, Any], _: dict[str, str]) -> Record:
        params = _params(ORDER_CREATE, raw, ("invoice_id",))
        invoice = sim.store.get("invoices", params["invoice_id"])
        if not isinstance(invoice, dict) or invoice.get("deleted") is True:
            msg = "invoice"
            raise not_found(msg, params["invoice_id"], "invoice_id")
        number = sim.store.next_id("orders", start=1001)
        key = params.get("id") or f"ord_{number}"
        if sim.store.has("orders", key):
            raise api_error(
                400, f"The value {key} is already present.", "duplicate_entry", "id"
            )
        order = new_order(params, invoice, key, number, sim.store.tick())
        return sim.save("orders", key, order, "order_created", "api")

    def update_an_order(raw: dict[str, Any], path: dict[str, str]) -> Record:
        current = live("orders", path["id"])
        params = _params(ORDER_UPDATE, raw)
        refuse_if_deleted(current, "order")
        order = update_order(current, params, sim.store.tick())
        return sim.save("orders", path["id"], order, "order_updated", "api")

    def cancel_order(raw: dict[str, Any], path: dict[str, str]) -> Record:
        current = live("orders", path["id"])
        params = _params(ORDER_CANCEL, raw, ("cancellation_reason",))
        refuse_if_deleted(current, "order")
        if current.get("status") == "cancelled":
            msg = f"The order {path['id']} is already cancelled"
            raise api_error(400, msg, "invalid_state_for_request")
        tick = sim.store.tick()
        changes = {
            "status": "cancelled",
            "cancellation_reason": params["cancellation_reason"],
            "cancelled_at": params.get("cancelled_at") or stamp(tick)["updated_at"],
        }
        order = update_order(current, changes, tick)
        return sim.save("orders", path["id"], order, "order_cancelled", "api")

    def delete_order(raw: dict[str, Any], path: dict[str, str]) -> Record:
        current = live("orders", path["id"])
        _params({}, raw)
        refuse_if_deleted(current, "order")
        order = current | {"deleted": True} | stamp(sim.store.tick())
        return sim.save("orders", path["id"], order, "order_deleted", "api")

    # -- customers ----------------------------------------------------------------

    def create_customer(raw: dict[str, Any], _: dict[str, str]) -> Record:
        params = _params(CUSTOMER_CREATE, raw)
        key = params.pop("id", None) or f"cust_{sim.store.next_id('customers', 1001)}"
        if sim.store.has("customers", key):
            raise api_error(
                400, f"The value {key} is already present.", "duplicate_entry", "id"
            )
        customer = new_customer(params, key, sim.store.tick())
        return sim.save("customers", key, customer, "customer_created", "api")

    def customer_changer(spec: dict[str, Param]) -> Action:
        def change(raw: dict[str, Any], path: dict[str, str]) -> Record:
            current = live("customers", path["id"])
            params = _params(spec, raw)
            refuse_if_deleted(current, "customer")
            customer = merge(current, params) | stamp(sim.store.tick())
            return sim.save(
                "customers", path["id"], customer, "customer_changed", "api"
            )

        return change

    # -- business entity transfers (accepted, no-op) --------------------------------

    async def transfers(request: Request) -> Response:
        sim.require_key(request)
        if request.method == "POST":
            await sim.form(request)
            return JsonResponse({"business_entity_transfers": []})
        return JsonResponse({"list": []})

    p = PREFIX
    table: list[tuple[str, Callable[[Request], Any], str]] = [
        ("/items", listing("items"), "GET"),
        ("/items", write("items", create_item), "POST"),
        ("/items/{id}", retrieve("items"), "GET"),
        ("/items/{id}", write("items", update_item), "POST"),
        ("/items/{id}/delete", write("items", delete_item), "POST"),
        ("/item_families", listing("item_families"), "GET"),
        ("/item_families/{id}", retrieve("item_families"), "GET"),
        ("/orders", listing("orders"), "GET"),
        ("/orders", write("orders", create_order), "POST"),
        ("/orders/{id}", retrieve("orders"), "GET"),
        ("/orders/{id}", write("orders", update_an_order), "POST"),
        ("/orders/{id}/cancel", write("orders", cancel_order), "POST"),
        ("/orders/{id}/delete", write("orders", delete_order), "POST"),
        ("/customers", listing("customers"), "GET"),
        ("/customers", write("customers", create_customer), "POST"),
        ("/customers/{id}", retrieve("customers"), "GET"),
        (
            "/customers/{id}",
            write("customers", customer_changer(CUSTOMER_UPDATE)),
            "POST",
        ),
        (
            "/customers/{id}/update_billing_info",
            write("customers", customer_changer(CUSTOMER_BILLING)),
            "POST",
        ),
        ("/invoices", listing("invoices"), "GET"),
        ("/invoices/{id}", retrieve("invoices"), "GET"),
        ("/events", listing("events"), "GET"),
        ("/events/{id}", retrieve("events"), "GET"),
        ("/business_entities/transfers", transfers, "GET"),
        ("/business_entities/transfers", transfers, "POST"),
    ]
    return [
        Route(p + path, handler, methods=[method]) for path, handler, method in table
    ]
