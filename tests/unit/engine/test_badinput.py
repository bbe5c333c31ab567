"""Bad input on its way to dead letters: unusable pages, scrubbed payloads, dedupe."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from connectors.base.protocols import BadRecord
from connectors.errors import MalformedResponseError, TransientError
from engine.badinput import LetterMemo, is_page, page_id, page_letter, safe
from engine.ingest import poll_entity
from ops.deadletters import Action, redrive
from schemas.envelope import Cursor
from tests.unit.engine.memory_sink import MemorySink
from tests.unit.engine.test_ingest import PagedSource, Recorder
from tests.unit.ops.test_deadletters import NAMES, Bus, entries_of, letter

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BROKEN = MalformedResponseError(
    "webcrm GET /Queries -> 200 sent an HTML page instead of JSON (text/html)",
    status=200,
    content_type="text/html",
    excerpt="<!DOCTYPE html><title>Down</title>",
)


class Unreachable(PagedSource):
    """Fails before its first page like a system that is down."""

    async def read(self, entity, cursor):
        raise TransientError("webcrm GET /Queries -> 503")
        yield  # an async generator, as sources are


class BrokenAfter(PagedSource):
    """Yields its pages, then fails on the next page with an unusable body."""

    async def read(self, entity, cursor):
        async for page in super().read(entity, cursor):
            yield page
        raise BROKEN


async def test_a_broken_page_is_dead_lettered_and_the_cursor_stays_before_it():
    saved = Cursor(since=T0)
    source, recorder = BrokenAfter([[3]]), Recorder(saved)
    stats = await poll_entity(source, "Organisations", recorder.ports)
    assert stats.malformed
    # The page before it went out and moved the cursor; the broken one did not.
    assert recorder.log == [
        "event 3", "flush", "cursor 3", "bad page@2024-01-01T00:03:00+00:00", "flush",
    ]  # fmt: skip


async def test_a_broken_first_page_names_the_start():
    recorder = Recorder()
    letters: list[BadRecord] = []

    async def reject(bad: BadRecord) -> None:
        letters.append(bad)

    ports = recorder.ports.__class__(**{**recorder.ports.__dict__, "reject": reject})
    await poll_entity(BrokenAfter([]), "Persons", ports)
    [bad] = letters
    assert (bad.system, bad.entity, bad.record_id) == (
        "webcrm",
        "Persons",
        "page@start",
    )
    assert "HTML page instead of JSON" in bad.reason
    assert "read again" in bad.reason
    assert bad.payload == {
        "status": 200,
        "content_type": "text/html",
        "body_starts": "<!DOCTYPE html><title>Down</title>",
    }
    assert recorder.saved is None


def test_page_ids_follow_the_cursor():
    assert page_id(None) == "page@start"
    assert page_id(Cursor(since=T0)) == "page@2024-01-01T00:00:00+00:00"
    assert is_page("page@start")
    assert not is_page("7101")
    assert page_letter("customcrm", "Customer", None, BROKEN).record_id == "page@start"


def test_payloads_are_made_safe_for_kafka():
    row = {"Name": "bad \udcff bytes", "Comment": "x" * 100_000, "n": float("nan")}
    cleaned = safe(BadRecord("webcrm", "Organisations", "7\udcff", "why", row))
    assert cleaned.record_id == "7\ufffd"
    assert cleaned.payload["Name"] == "bad \ufffd bytes"
    assert cleaned.payload["Comment"].endswith("[clipped, 100000 characters]")
    assert cleaned.payload["n"] == "nan"
    orjson.dumps(cleaned.payload)  # raises on lone surrogates


def test_deep_payloads_are_cut():
    deep: object = "bottom"
    for _ in range(500):
        deep = {"a": deep}
    cleaned = safe(BadRecord("webcrm", "Organisations", "1", "why", deep))
    assert b"nested deeper than" in orjson.dumps(cleaned.payload)


def test_the_memo_sends_a_record_again_only_for_a_new_reason_or_after_it_went_through():
    memo = LetterMemo()
    bad = BadRecord("webcrm", "Organisations", "1", "why", {"v": 1})
    assert memo.first_time("k", bad)
    assert not memo.first_time("k", bad)
    # A feed's volatile columns change nothing; a new reason does.
    assert not memo.first_time(
        "k", BadRecord("webcrm", "Organisations", "1", "why", {"v": 2})
    )
    changed = BadRecord("webcrm", "Organisations", "1", "why else", {"v": 1})
    assert memo.first_time("k", changed)
    memo.forget("k")
    assert memo.first_time("k", changed)


def test_the_memo_sends_a_page_once_until_a_read_succeeds():
    memo = LetterMemo()
    key = "webcrm/Persons/page@start"
    first = BadRecord("webcrm", "Persons", "page@start", "html", {"body_starts": "a"})
    other = BadRecord("webcrm", "Persons", "page@start", "html", {"body_starts": "b"})
    assert memo.first_time(key, first)
    assert not memo.first_time(key, other)  # one letter per page, not per body
    memo.forget_pages("webcrm/Products/")
    assert not memo.first_time(key, first)
    memo.forget_pages("webcrm/Persons/")
    assert memo.first_time(key, first)


def test_a_clean_read_settles_the_pages_of_its_entity_type_only():
    memo = LetterMemo()
    page = BadRecord("webcrm", "Persons", "page@start", "html")
    record = BadRecord("webcrm", "Persons", "7", "why")
    assert memo.first_time("webcrm/Persons/page@start", page)
    assert memo.first_time("webcrm/Persons/7", record)
    memo.settle_pages("webcrm", "Organisations")
    assert not memo.first_time("webcrm/Persons/page@start", page)
    memo.settle_pages("webcrm", "Persons")
    assert memo.first_time("webcrm/Persons/page@start", page)
    assert not memo.first_time("webcrm/Persons/7", record)  # records stay known


async def test_the_poll_settles_pages_only_after_a_read_that_got_through():
    settled: list[tuple[str, str]] = []

    def ports_of(recorder: Recorder):
        return recorder.ports.__class__(
            **{**recorder.ports.__dict__, "pages_settled": lambda *k: settled.append(k)}
        )

    await poll_entity(BrokenAfter([[3]]), "Persons", ports_of(Recorder()))
    assert settled == []
    await poll_entity(PagedSource([[3]]), "Persons", ports_of(Recorder()))
    assert settled == [("webcrm", "Persons")]
    with pytest.raises(TransientError):
        await poll_entity(Unreachable([]), "Persons", ports_of(Recorder()))
    assert settled == [("webcrm", "Persons")]


def test_the_memo_is_bounded():
    memo = LetterMemo(size=2)
    for n in range(3):
        assert memo.first_time(str(n), BadRecord("s", "e", str(n), "r"))
    assert memo.first_time("0", BadRecord("s", "e", "0", "r"))  # forgotten


async def test_re_driving_a_page_letter_settles_it_without_a_read():
    bus = Bus({"webcrm": MemorySink("webcrm")})
    entries = entries_of(letter("page@start", entity="Persons"))
    [result] = await redrive(entries, NAMES, bus.ports())
    assert result.action is Action.GONE
    assert "reads it again" in result.detail
    assert bus.published == []
    assert bus.marked["webcrm/Persons/page@start"].action == "gone"
