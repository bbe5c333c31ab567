"""Chargebee wire models (API v2): items, orders, customers, business entities, events.

Field names on the wire are snake_case, as the Python attributes. Times are Unix
seconds and stay integers in the data, like money in minor units (øre, cents).
``resource_version`` is a millisecond timestamp Chargebee changes on every write:
it is read as an aware UTC datetime (the record's modification time, finer than
``updated_at``) and written back as the same integer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    model_validator,
)

from schemas.base import NonEmptyStr, WireModel

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def millis_to_datetime(value: Any) -> Any:
    """A millisecond Unix timestamp (int or digits) as an aware UTC datetime.

    Anything else is returned unchanged, for the datetime validator to refuse.
    """
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return EPOCH + value * _MS
    return value


def datetime_to_millis(value: datetime) -> int:
    """An aware datetime as a millisecond Unix timestamp."""
    return (value - EPOCH) // _MS


UnixMillis = Annotated[
    AwareDatetime,
    BeforeValidator(millis_to_datetime),
    PlainSerializer(datetime_to_millis, return_type=int),
]
"""A millisecond timestamp on the wire, an aware datetime in Python."""


class ChargebeeModel(WireModel):
    """Base of Chargebee resources: ``resource_version`` is the modification time.

    A record without ``resource_version`` (older API versions, hand-made
    fixtures) gets ``updated_at`` in milliseconds, so it still has a time.
    """

    resource_version: UnixMillis
    updated_at: int | None = None
    deleted: bool = False
    object: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _version_from_updated_at(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("resource_version") is None:
            updated = data.get("updated_at")
            if isinstance(updated, int) and not isinstance(updated, bool):
                return {**data, "resource_version": updated * 1000}
        return data


class Address(WireModel):
    """A billing or shipping address."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    company: str | None = None
    phone: str | None = None
    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    city: str | None = None
    state_code: str | None = None
    state: str | None = None
    country: str | None = None
    zip: str | None = None
    validation_status: str | None = None


class Item(ChargebeeModel):
    """A product catalogue item (plan, addon or charge); prices live elsewhere."""

    id: NonEmptyStr
    name: str | None = None
    external_name: str | None = None
    description: str | None = None
    status: str | None = None
    type: str | None = None
    item_family_id: str | None = None
    item_applicability: str | None = None
    is_shippable: bool | None = None
    is_giftable: bool | None = None
    enabled_for_checkout: bool | None = None
    enabled_in_portal: bool | None = None
    included_in_mrr: bool | None = None
    metered: bool | None = None
    usage_calculation: str | None = None
    unit: str | None = None
    redirect_url: str | None = None
    channel: str | None = None
    archived_at: int | None = None
    metadata: dict[str, Any] | None = None
    business_entity_id: str | None = None


class OrderLineItem(WireModel):
    """One line of an order, copied from its invoice."""

    id: str | None = None
    invoice_id: str | None = None
    invoice_line_item_id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    description: str | None = None
    sku: str | None = None
    status: str | None = None
    is_shippable: bool | None = None
    unit_price: int | None = None
    fulfillment_quantity: int | None = None
    amount: int | None = None
    fulfillment_amount: int | None = None
    tax_amount: int | None = None
    amount_paid: int | None = None
    amount_adjusted: int | None = None
    discount_amount: int | None = None
    item_level_discount_amount: int | None = None


class Order(ChargebeeModel):
    """An order, generated from (or created for) an invoice."""

    id: NonEmptyStr
    document_number: str | None = None
    invoice_id: str | None = None
    subscription_id: str | None = None
    customer_id: str | None = None
    status: str | None = None
    cancellation_reason: str | None = None
    payment_status: str | None = None
    order_type: str | None = None
    price_type: str | None = None
    reference_id: str | None = None
    fulfillment_status: str | None = None
    order_date: int | None = None
    shipping_date: int | None = None
    note: str | None = None
    tracking_id: str | None = None
    tracking_url: str | None = None
    batch_id: str | None = None
    created_by: str | None = None
    shipment_carrier: str | None = None
    currency_code: str | None = None
    sub_total: int | None = None
    discount: int | None = None
    tax: int | None = None
    total: int | None = None
    amount_paid: int | None = None
    amount_adjusted: int | None = None
    paid_on: int | None = None
    created_at: int | None = None
    status_update_at: int | None = None
    shipped_at: int | None = None
    delivered_at: int | None = None
    cancelled_at: int | None = None
    order_line_items: list[OrderLineItem] = Field(default_factory=list)
    shipping_address: Address | None = None
    billing_address: Address | None = None
    is_gifted: bool | None = None
    business_entity_id: str | None = None


class Customer(ChargebeeModel):
    """A customer (billing account)."""

    id: NonEmptyStr
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    vat_number: str | None = None
    billing_address: Address | None = None
    preferred_currency_code: str | None = None
    auto_collection: str | None = None
    net_term_days: int | None = None
    taxability: str | None = None
    locale: str | None = None
    channel: str | None = None
    meta_data: dict[str, Any] | None = None
    business_entity_id: str | None = None
    created_at: int | None = None


class BusinessEntity(ChargebeeModel):
    """A business entity: made in Chargebee's UI, seen only through events."""

    id: NonEmptyStr
    name: str | None = None
    status: str | None = None
    created_at: int | None = None


class InvoiceLineItem(WireModel):
    """One line of an invoice."""

    id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    description: str | None = None
    unit_amount: int | None = None
    quantity: int | None = None
    amount: int | None = None
    tax_amount: int | None = None


class Invoice(ChargebeeModel):
    """An invoice; orders are made from them."""

    id: NonEmptyStr
    customer_id: str | None = None
    subscription_id: str | None = None
    status: str | None = None
    currency_code: str | None = None
    date: int | None = None
    sub_total: int | None = None
    tax: int | None = None
    total: int | None = None
    amount_paid: int | None = None
    line_items: list[InvoiceLineItem] = Field(default_factory=list)


class Event(WireModel):
    """An entry of the Events API: what happened, and the resource after it."""

    id: NonEmptyStr
    occurred_at: int
    event_type: str
    source: str | None = None
    user: str | None = None
    api_version: str | None = None
    webhook_status: str | None = None
    content: dict[str, Any] = Field(default_factory=dict)
    object: str | None = None
