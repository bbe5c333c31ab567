"""Chargebee request encoding and settings: bracket fields, Unix times, site URLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import SecretStr

from connectors.chargebee import ChargebeeSettings, form_fields, to_unix
from connectors.errors import ConfigurationError

T0 = 1709287200


def test_form_fields_follow_the_sdk() -> None:
    assert form_fields(
        {
            "name": "Widget",
            "price": 499.0,
            "ratio": 0.5,
            "is_shippable": False,
            "description": None,
            "billing_address": {"city": "Oslo", "zip": "0155"},
            "order_line_items": [{"id": "li_1", "status": "shipped"}, {"id": "li_2"}],
            "applicable_items": ["a", "b"],
            "metadata": {"source": "tether"},
            "a": {"b": {"c": 1}},
        }
    ) == {
        "name": "Widget",
        "price": "499",
        "ratio": "0.5",
        "is_shippable": "false",
        "description": "",
        "billing_address[city]": "Oslo",
        "billing_address[zip]": "0155",
        "order_line_items[id][0]": "li_1",
        "order_line_items[status][0]": "shipped",
        "order_line_items[id][1]": "li_2",
        "applicable_items[0]": "a",
        "applicable_items[1]": "b",
        "metadata": '{"source":"tether"}',
        "a[b][c]": "1",
    }


def test_a_path_built_list_is_sent_as_a_list() -> None:
    # Flows write one line by path (order_line_items.0.status): an object keyed "0".
    built = {"order_line_items": {"1": {"status": "shipped"}, "0": {"id": "li_1"}}}
    assert form_fields(built) == {
        "order_line_items[id][0]": "li_1",
        "order_line_items[status][1]": "shipped",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        (T0, T0),
        (float(T0) + 0.9, T0),
        ("2024-03-01T10:00:00Z", T0),
        ("2024-03-01T11:00:00+01:00", T0),
        ("2024-03-01", T0 - 10 * 3600),
        (datetime(2024, 3, 1, 10, tzinfo=UTC), T0),
        (datetime(2024, 3, 1, 11, tzinfo=timezone(timedelta(hours=1))), T0),
    ],
)
def test_to_unix(value: object, expected: int | None) -> None:
    assert to_unix(value) == expected


@pytest.mark.parametrize(
    "value", [True, "yesterday", "2024-03-01T10:00:00", datetime(2024, 3, 1), [1]]
)
def test_to_unix_refuses_what_is_not_a_time(value: object) -> None:
    with pytest.raises(ValueError, match="time|timestamp"):
        to_unix(value)


def test_the_site_gives_the_base_url_and_an_explicit_url_wins() -> None:
    by_site = ChargebeeSettings(site="acme-test", api_key=SecretStr("k"))
    assert by_site.base_url == "https://acme-test.chargebee.com/api/v2"
    explicit = ChargebeeSettings(
        site="acme-test", base_url="http://127.0.0.1:9/api/v2/", api_key=SecretStr("k")
    )
    assert explicit.base_url == "http://127.0.0.1:9/api/v2"
    assert by_site.rate_limit_per_minute == 150
    assert (by_site.item_type, by_site.item_family_id) == ("charge", "webshop-products")


@pytest.mark.parametrize(
    ("values", "names"),
    [
        ({"api_key": "k"}, "CHARGEBEE_BASE_URL"),
        ({"site": "s"}, "CHARGEBEE_API_KEY"),
        ({"site": "s", "api_key": "k", "page_size": 101}, "CHARGEBEE_PAGE_SIZE"),
        ({"site": "s", "api_key": "k", "item_type": "gift"}, "CHARGEBEE_ITEM_TYPE"),
    ],
)
def test_incomplete_settings_name_the_variables(
    values: dict[str, object], names: str
) -> None:
    with pytest.raises(ConfigurationError, match=names):
        ChargebeeSettings.load(**values)


def test_the_key_is_masked() -> None:
    settings = ChargebeeSettings(site="s", api_key=SecretStr("cb-secret-1"))
    assert "cb-secret-1" not in repr(settings)
    assert "cb-secret-1" not in str(settings.public_dict())
