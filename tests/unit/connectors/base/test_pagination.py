"""Paginators end, and raise instead of looping forever."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base.pagination import (
    CursorPaginator,
    NextLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    SinglePagePaginator,
    scan,
)
from connectors.errors import FatalError


def test_page_numbers_end_on_an_empty_array() -> None:
    paginator = PageNumberPaginator()
    tokens = []
    for page in ([{"id": 1}], [{"id": 2}], []):
        tokens.append(paginator.current_token)
        paginator.advance(page)
    assert tokens == [1, 2, 3]
    assert paginator.finished


def test_a_page_repeating_the_previous_one_raises() -> None:
    paginator = PageNumberPaginator()
    paginator.advance([{"id": 1}])
    with pytest.raises(FatalError, match="page 2 repeats page 1"):
        paginator.advance([{"id": 1}])


def test_advancing_past_the_end_raises() -> None:
    paginator = PageNumberPaginator()
    paginator.advance([])
    with pytest.raises(FatalError, match="past the last page"):
        paginator.advance([])


def test_a_body_that_is_not_an_array_ends_paging() -> None:
    paginator = PageNumberPaginator()
    paginator.advance({"error": "x"})
    assert paginator.finished


def test_cursor_follows_next_page_until_null() -> None:
    paginator: CursorPaginator[int] = CursorPaginator(1, "next_page")
    paginator.advance({"data": [1], "next_page": 2})
    assert paginator.current_token == 2
    paginator.advance({"data": [2], "next_page": 3})
    paginator.advance({"data": [3], "next_page": None})
    assert paginator.finished
    assert paginator.current_token == 3


def test_a_repeated_token_raises() -> None:
    paginator: CursorPaginator[int] = CursorPaginator(1, "next_page")
    paginator.advance({"next_page": 2})
    with pytest.raises(FatalError, match="page token 2 repeated"):
        paginator.advance({"next_page": 2})


def test_a_token_pointing_back_to_the_start_raises() -> None:
    paginator: CursorPaginator[int] = CursorPaginator(1, "next_page")
    with pytest.raises(FatalError, match="repeated"):
        paginator.advance({"next_page": 1})


def test_cursor_ends_on_a_body_without_the_field() -> None:
    paginator: CursorPaginator[str] = CursorPaginator("a", "next")
    paginator.advance(["not", "a", "mapping"])
    assert paginator.finished


def test_page_numbers_with_a_page_size_end_on_a_short_page() -> None:
    paginator = PageNumberPaginator(page_size=2)
    paginator.advance([1, 2])
    assert paginator.current_token == 2
    paginator.advance([3])
    assert paginator.finished


def test_a_page_longer_than_asked_for_is_the_whole_listing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    paginator = PageNumberPaginator(page_size=2, where="demo GET things")
    paginator.advance([1, 2, 3])
    assert paginator.finished
    assert "demo GET things ignores the page size (3 rows, 2 asked for)" in caplog.text


def test_a_repeated_page_names_the_listing_and_the_hint() -> None:
    paginator = PageNumberPaginator(page_size=2, where="demo GET x", hint="set Y")
    paginator.advance([1, 2])
    with pytest.raises(FatalError) as caught:
        paginator.advance([1, 2])
    assert str(caught.value) == (
        "demo GET x: page 2 repeats page 1; the listing loops; set Y"
    )


def test_offsets_grow_by_the_page_size_until_a_short_page() -> None:
    paginator = OffsetPaginator(2)
    tokens = []
    for page in ([1, 2], [3, 4], [5]):
        tokens.append(paginator.current_token)
        paginator.advance(page)
    assert tokens == [0, 2, 4]
    assert paginator.finished
    again = OffsetPaginator(2)
    again.advance([1, 2])
    with pytest.raises(FatalError, match="offset 2 repeats the page before"):
        again.advance([1, 2])
    ended = OffsetPaginator(2)
    ended.advance({"not": "rows"})
    assert ended.finished


def envelope(rows: list[int], pages: int | None, more: bool) -> dict[str, object]:
    link = "https://elsewhere.test/?page=n" if more else None
    return {"result": rows, "totalPages": pages, "nextPageUrl": link}


def test_next_links_are_counted_not_followed() -> None:
    paginator = NextLinkPaginator("nextPageUrl", "totalPages", "result")
    paginator.advance(envelope([1], 3, more=True))
    paginator.advance(envelope([2], 3, more=True))
    assert paginator.current_token == 3
    paginator.advance(envelope([3], 3, more=False))
    assert paginator.finished


def test_a_next_link_past_the_last_page_or_on_a_repeat_is_fatal() -> None:
    paginator = NextLinkPaginator("nextPageUrl", "totalPages", "result", where="x")
    with pytest.raises(FatalError, match="x: page 1 of 1 still names a next page"):
        paginator.advance(envelope([1], 1, more=True))
    unknown = NextLinkPaginator("nextPageUrl", "totalPages", "result")
    unknown.advance(envelope([1], None, more=True))
    with pytest.raises(FatalError, match="page 2 repeats page 1"):
        unknown.advance(envelope([1], None, more=True))


def test_a_single_page_is_the_whole_listing() -> None:
    paginator = SinglePagePaginator()
    assert paginator.current_token is None
    paginator.advance({"anything": True})
    assert paginator.finished


async def test_scan_yields_each_page_then_stops() -> None:
    pages = {1: [10, 11], 2: [12, 13], 3: []}
    asked: list[int] = []

    async def fetch(token: int) -> tuple[list[Any], Any]:
        asked.append(token)
        return pages[token], pages[token]

    seen = [rows async for rows, _ in scan(PageNumberPaginator(), fetch)]
    assert seen == [[10, 11], [12, 13], []]
    assert asked == [1, 2, 3]
