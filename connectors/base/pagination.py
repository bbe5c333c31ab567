"""Paginators: how a listing moves from one page to the next, and when it stops."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

import orjson

from connectors.errors import FatalError
from schemas.text import scrub

TokenT = TypeVar("TokenT")


class Paginator(ABC, Generic[TokenT]):
    """Walks a listing page by page; raises when a token comes back a second time.

    A repeated token means the listing would never end, so it is a fatal
    error rather than an endless loop.

    Args:
        start_token: The token of the first page.
    """

    def __init__(self, start_token: TokenT) -> None:
        self._token = start_token
        self._seen: set[Any] = {start_token}
        self._finished = False

    @property
    def current_token(self) -> TokenT:
        """The token of the page to fetch next."""
        return self._token

    @property
    def finished(self) -> bool:
        """Whether the last page was seen."""
        return self._finished

    def advance(self, response: Any) -> None:
        """Move past the page ``response`` came from.

        Args:
            response: The decoded body of the current page.

        Raises:
            FatalError: The next token was already used, or already finished.
        """
        if self._finished:
            msg = f"{type(self).__name__} advanced past the last page"
            raise FatalError(msg)
        if not self.has_more(response):
            self._finished = True
            return
        token = self.next_token(response)
        if token in self._seen:
            name = type(self).__name__
            msg = f"{name}: page token {token!r} repeated; the listing loops"
            raise FatalError(msg)
        self._seen.add(token)
        self._token = token

    @abstractmethod
    def has_more(self, response: Any) -> bool:
        """Whether another page follows the one ``response`` came from."""

    @abstractmethod
    def next_token(self, response: Any) -> TokenT:
        """The token of the page after the one ``response`` came from."""


class PageNumberPaginator(Paginator[int]):
    """1-based page numbers over bare arrays; an empty array is the end (Webcrm).

    The number always grows, so the loop guard here is on content: a page equal
    to the previous one means the API ignores the page parameter.

    Args:
        start_page: The first page number.
    """

    def __init__(self, start_page: int = 1) -> None:
        super().__init__(start_page)
        self._last_page: bytes | None = None

    def has_more(self, response: Any) -> bool:
        """More pages follow a non-empty array."""
        return isinstance(response, Sequence) and len(response) > 0

    def next_token(self, response: Any) -> int:
        """The next page number; raises when this page repeats the previous one."""
        try:
            page = orjson.dumps(response, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # invalid UTF-8 decoded as lone surrogates
            page = orjson.dumps(scrub(response), option=orjson.OPT_SORT_KEYS)
        if page == self._last_page:
            msg = (
                f"page {self._token} repeats page {self._token - 1}; the listing loops"
            )
            raise FatalError(msg)
        self._last_page = page
        return self._token + 1


class CursorPaginator(Paginator[TokenT]):
    """The body names the next page's token in ``field``; ``null`` is the end.

    Args:
        start_token: The first page's token.
        field: The body field carrying the next token (``next_page``).
    """

    def __init__(self, start_token: TokenT, field: str) -> None:
        super().__init__(start_token)
        self.field = field

    def has_more(self, response: Any) -> bool:
        """More pages follow while the body names a next token."""
        return isinstance(response, Mapping) and response.get(self.field) is not None

    def next_token(self, response: Any) -> TokenT:
        """The token the body names."""
        token: TokenT = response[self.field]
        return token
