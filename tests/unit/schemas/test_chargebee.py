"""Chargebee wire models: millisecond versions, Unix times, nested lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas.chargebee import (
    BusinessEntity,
    Event,
    Item,
    Order,
    datetime_to_millis,
    millis_to_datetime,
)

T0 = 1709287200


def test_resource_version_is_the_modification_time_and_stays_an_integer() -> None:
    item = Item.model_validate(
        {"id": "w", "updated_at": T0, "resource_version": T0 * 1000 + 123, "x": 1}
    )
    assert item.resource_version == datetime(2024, 3, 1, 10, 0, 0, 123000, tzinfo=UTC)
    dumped = item.model_dump(mode="json")
    assert dumped["resource_version"] == T0 * 1000 + 123
    assert dumped["updated_at"] == T0
    assert "x" not in dumped


def test_a_record_without_resource_version_uses_updated_at() -> None:
    entity = BusinessEntity.model_validate({"id": "a", "updated_at": T0})
    assert datetime_to_millis(entity.resource_version) == T0 * 1000
    with pytest.raises(ValidationError, match="resource_version"):
        BusinessEntity.model_validate({"id": "a"})
    with pytest.raises(ValidationError, match="resource_version"):
        BusinessEntity.model_validate({"id": "a", "resource_version": "soon"})


def test_millis_helpers() -> None:
    assert millis_to_datetime(str(T0 * 1000)) == datetime.fromtimestamp(T0, UTC)
    assert millis_to_datetime(True) is True  # left for the validator to refuse
    assert datetime_to_millis(millis_to_datetime(T0 * 1000 + 1)) == T0 * 1000 + 1


def test_order_lines_and_addresses() -> None:
    order = Order.model_validate(
        {
            "id": "o1",
            "updated_at": T0,
            "order_line_items": [{"id": "li", "unit_price": 49900, "sku": "WP"}],
            "shipping_address": {"city": "Oslo", "extra": 1},
        }
    )
    assert order.order_line_items[0].unit_price == 49900
    assert order.shipping_address is not None
    assert order.shipping_address.city == "Oslo"
    with pytest.raises(ValidationError):
        Order.model_validate({"id": "o1", "updated_at": T0, "total": "a lot"})


def test_event() -> None:
    event = Event.model_validate(
        {"id": "ev", "occurred_at": T0, "event_type": "item_created"}
    )
    assert event.content == {}
