"""Customwebshop sample data: deterministic, valid for the stand-in's own checks."""

from __future__ import annotations

import pytest

from standins.customwebshop import customwebshop_sample


def test_the_sample_is_deterministic_and_seeds_cleanly(customwebshop):
    data = customwebshop_sample()
    assert data == customwebshop_sample()
    assert data != customwebshop_sample(seed=2)
    for resource in ("customers", "products", "orders"):
        customwebshop.seed(resource, data[resource])
    orders = customwebshop.records("orders")
    assert [o["Id"] for o in orders] == [f"O-{5001 + i}" for i in range(10)]
    products = {p["Id"] for p in customwebshop.records("products")}
    customers = {c["Id"] for c in customwebshop.records("customers")}
    for order in orders:
        assert order["CustomerId"] in customers
        assert {line["ProductId"] for line in order["Lines"]} <= products
        assert order["Total"] > 0  # computed from the lines on seeding
        assert order["UpdatedAt"].startswith(order["OrderDate"])
    # New records get the ids after the seeded ones.
    assert customwebshop.seed("orders", [{"Reference": "new"}])[0]["Id"] == "O-5011"


def test_more_than_the_sample_knows_is_refused():
    with pytest.raises(ValueError, match="at most"):
        customwebshop_sample(customers=99)
