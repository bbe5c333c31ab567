"""Paginators end, and raise instead of looping forever."""

from __future__ import annotations

import pytest

from connectors.base.pagination import CursorPaginator, PageNumberPaginator
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
