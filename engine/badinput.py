"""Bad input on its way to the dead-letter topic: page letters, payloads, and dedupe.

A listing page that cannot be used (``MalformedResponseError``) becomes one dead
letter named after the cursor it was read from (``page@<since>``): the poll
does not move past it, so the same page is asked for again on every tick until
it parses, and the letter must not be repeated each time. The same holds for a
bad record a source cannot position (no readable time, a time in the future):
the feed keeps listing it. ``LetterMemo`` remembers what was already sent.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from connectors.base.protocols import BadRecord
from connectors.errors import MalformedResponseError
from schemas.envelope import Cursor
from schemas.text import scrub
from schemas.utc import utc_text

PAGE_PREFIX = "page@"
"""Record ids of dead letters about a whole listing page start with this."""


def page_id(cursor: Cursor | None) -> str:
    """A stable id for the page a read from ``cursor`` starts with."""
    since = utc_text(cursor.since, zulu=False) if cursor and cursor.since else "start"
    return f"{PAGE_PREFIX}{since}"


def is_page(record_id: str) -> bool:
    """Whether a dead letter's record id names a listing page, not a record."""
    return record_id.startswith(PAGE_PREFIX)


def page_letter(
    system: str, entity: str, cursor: Cursor | None, error: MalformedResponseError
) -> BadRecord:
    """The bad record standing for an unusable page: what was wrong, the body's start.

    Never the headers or the query: they may carry credentials.
    """
    payload = {
        "status": error.status,
        "content_type": error.content_type or None,
        "body_starts": error.excerpt or None,
    }
    reason = f"{error}; the page is read again on every poll until it parses"
    return BadRecord(system, entity, page_id(cursor), reason, payload)


def safe(bad: BadRecord) -> BadRecord:
    """``bad`` with id and payload fit for Kafka (valid UTF-8, bounded)."""
    return BadRecord(
        bad.system,
        bad.entity,
        scrub(bad.record_id),
        scrub(bad.reason),
        scrub(bad.payload),
    )


class LetterMemo:
    """Which bad records were dead-lettered already, in this process.

    A record is sent again when the reason changed, or once it was published
    fine in between (``forget``). A page is sent once per cursor.
    Bounded, least recently used first out; a restart forgets, which costs at
    most one repeated letter per bad record.

    Args:
        size: How many letters to remember.
    """

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._seen: OrderedDict[str, str] = OrderedDict()

    def first_time(self, key: str, bad: BadRecord) -> bool:
        """Whether ``bad`` under ``key`` is new; remembers it either way."""
        digest = "page" if is_page(bad.record_id) else _digest(bad)
        known = self._seen.get(key)
        self._seen[key] = digest
        self._seen.move_to_end(key)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return known != digest

    def forget(self, key: str) -> None:
        """The record under ``key`` went through fine: its next failure is news."""
        self._seen.pop(key, None)

    def forget_pages(self, prefix: str) -> None:
        """A read of ``prefix`` (``system/entity/``) succeeded: its pages are fine."""
        for key in [k for k in self._seen if k.startswith(prefix + PAGE_PREFIX)]:
            del self._seen[key]

    def settle_pages(self, system: str, entity: str) -> None:
        """``forget_pages`` for one entity type: the poll's ``pages_settled`` port."""
        self.forget_pages(letter_key(system, entity, ""))


def _digest(bad: BadRecord) -> str:
    # The reason, not the payload: feeds add volatile columns (Webcrm's
    # RowNumber shifts as other records change), and ``deadletters list`` shows
    # one letter per key anyway. A record still bad for the same reason has
    # nothing new to say; fixed and broken again, it was forgotten in between.
    return hashlib.blake2b(bad.reason.encode(), digest_size=12).hexdigest()


def letter_key(system: str, entity: str, record_id: str) -> str:
    """The dead-letter topic key of a record: ``system/entity/id``."""
    return f"{system}/{entity}/{record_id}"
