"""Paginators: how a listing moves from one page to the next, and when it stops."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from connectors.base.records import fingerprint
from connectors.errors import FatalError

logger = logging.getLogger(__name__)

TokenT = TypeVar("TokenT")

Fetch = Callable[[TokenT], Awaitable[tuple[list[Any], Any]]]
"""Fetches the page a token names: its rows, and the body the paginator reads."""


class Paginator(ABC, Generic[TokenT]):
    """Walks a listing page by page; raises when a token comes back a second time.

    A repeated token means the listing would never end, so it is a fatal
    error rather than an endless loop.

    Args:
        start_token: The token of the first page.
        where: What is listed (``crmoffice GET companies``), for messages.
        hint: What to check when the listing loops (a setting to switch off).
    """

    def __init__(self, start_token: TokenT, *, where: str = "", hint: str = "") -> None:
        self._token = start_token
        self._seen: set[Any] = {start_token}
        self._finished = False
        self._where = where
        self._hint = hint

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
            response: The body of the current page, as its fetch returned it.

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
            problem = f"{name}: page token {token!r} repeated"
            raise self.loops(problem)
        self._seen.add(token)
        self._token = token

    def loops(self, problem: str) -> FatalError:
        """The error for a listing that would never end, naming it and the hint."""
        msg = f"{self._where}: {problem}" if self._where else problem
        msg = f"{msg}; the listing loops"
        return FatalError(f"{msg}; {self._hint}" if self._hint else msg)

    @abstractmethod
    def has_more(self, response: Any) -> bool:
        """Whether another page follows the one ``response`` came from."""

    @abstractmethod
    def next_token(self, response: Any) -> TokenT:
        """The token of the page after the one ``response`` came from."""


class _CountingPaginator(Paginator[int]):
    """Tokens that always grow, so the loop guard is on content instead.

    A page equal to the one before means the API ignores the paging parameter.
    """

    def __init__(self, start: int, *, where: str = "", hint: str = "") -> None:
        super().__init__(start, where=where, hint=hint)
        self._last_page: str | None = None

    def _check_new(self, rows: Any, problem: str) -> None:
        page = fingerprint(rows)
        if page == self._last_page:
            raise self.loops(problem)
        self._last_page = page


class PageNumberPaginator(_CountingPaginator):
    """Page numbers over arrays: an empty one ends the listing (Webcrm).

    With ``page_size``, a short page is the last (Crmoffice), and a page longer
    than asked for means the API ignores the size: it is taken as the whole
    listing.

    Args:
        start_page: The first page number.
        page_size: Rows asked for per page, when the API honours it.
        where: What is listed, for messages.
        hint: What to check when the listing loops.
    """

    def __init__(
        self,
        start_page: int = 1,
        *,
        page_size: int | None = None,
        where: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(start_page, where=where, hint=hint)
        self.page_size = page_size

    def has_more(self, response: Any) -> bool:
        """More pages follow a non-empty array, or a full one with ``page_size``."""
        if not isinstance(response, Sequence) or isinstance(response, str):
            return False
        if self.page_size is None:
            return len(response) > 0
        if len(response) > self.page_size:
            logger.warning(
                "%s ignores the page size (%d rows, %d asked for)",
                self._where or type(self).__name__,
                len(response),
                self.page_size,
            )
        return len(response) == self.page_size

    def next_token(self, response: Any) -> int:
        """The next page number; raises when this page repeats the previous one."""
        self._check_new(response, f"page {self._token} repeats page {self._token - 1}")
        return self._token + 1


class OffsetPaginator(_CountingPaginator):
    """Offsets of ``page_size`` rows (OData ``$skip``/``$top``); a short page ends.

    Args:
        page_size: Rows per page.
        where: What is listed, for messages.
    """

    def __init__(self, page_size: int, *, where: str = "") -> None:
        super().__init__(0, where=where)
        self.page_size = page_size

    def has_more(self, response: Any) -> bool:
        """A full page may have more behind it."""
        rows = response if isinstance(response, Sequence) else ()
        return len(rows) >= self.page_size

    def next_token(self, response: Any) -> int:
        """The next offset; raises when a page repeats the one before it."""
        self._check_new(response, f"offset {self._token} repeats the page before")
        return self._token + self.page_size


class NextLinkPaginator(_CountingPaginator):
    """Page numbers while the body names a next page (Membercare's ``nextPageUrl``).

    The link itself is not followed: the caller builds the next request against
    its own base URL, so credentials never travel to a host a link might name.

    Args:
        link_field: The body field holding the next page's link.
        pages_field: The body field announcing how many pages there are.
        rows_field: The body field holding the page's records.
        where: What is listed, for messages.
    """

    def __init__(
        self, link_field: str, pages_field: str, rows_field: str, *, where: str = ""
    ) -> None:
        super().__init__(1, where=where)
        self.link_field = link_field
        self.pages_field = pages_field
        self.rows_field = rows_field

    def has_more(self, response: Any) -> bool:
        """More pages follow while the body names a next one."""
        return (
            isinstance(response, Mapping) and response.get(self.link_field) is not None
        )

    def next_token(self, response: Any) -> int:
        """The next page number; raises past the announced last page or on a repeat."""
        last = response.get(self.pages_field)
        if isinstance(last, int) and self._token >= last:
            problem = f"page {self._token} of {last} still names a next page"
            raise self.loops(problem)
        problem = f"page {self._token} repeats page {self._token - 1}"
        self._check_new(response.get(self.rows_field), problem)
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


class SinglePagePaginator(Paginator[None]):
    """One request answers everything (an API without paging); its token is ``None``."""

    def __init__(self) -> None:
        super().__init__(None)

    def has_more(self, response: Any) -> bool:
        """Nothing follows the only page."""
        return False

    def next_token(self, response: Any) -> None:  # pragma: no cover - never more
        """There is no next page."""
        return


async def scan(
    paginator: Paginator[TokenT], fetch: Fetch[TokenT]
) -> AsyncIterator[tuple[list[Any], Any]]:
    """Every page of a listing, first to last, as ``(rows, body)``.

    Args:
        paginator: A fresh paginator, positioned at the first page.
        fetch: Fetches the page a token names.
    """
    while not paginator.finished:
        rows, body = await fetch(paginator.current_token)
        yield rows, body
        paginator.advance(body)
