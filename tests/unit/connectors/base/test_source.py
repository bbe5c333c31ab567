"""``HttpSource``: the one page loop, resolving references, snapshots, its knobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import AwareDatetime

from connectors.base.client import HttpClient
from connectors.base.entity import EntitySpec
from connectors.base.pagination import PageNumberPaginator, Paginator
from connectors.base.protocols import SourcePage
from connectors.base.records import LocalClock, invalid_record
from connectors.base.settings import ConnectorSettings
from connectors.base.snapshot import SNAPSHOT_MARK
from connectors.base.source import GONE, HttpSource
from connectors.errors import ConfigurationError
from schemas.base import WireModel
from schemas.envelope import Cursor, Operation

T0 = datetime(2024, 3, 1, 10, tzinfo=UTC)


class Thing(WireModel):
    Id: int
    Name: str | None = None
    UpdatedAt: AwareDatetime


class Plain(WireModel):
    Id: int
    Name: str | None = None


THINGS = EntitySpec("Things", "things", Thing, "Id", "UpdatedAt")
PLAIN = EntitySpec("Plain", "plain", Plain, "Id", None)


def row(record_id: int, seconds: int = 0, **fields: Any) -> dict[str, Any]:
    stamp = (T0 + timedelta(seconds=seconds)).isoformat()
    return {"Id": record_id, "UpdatedAt": stamp} | fields


class PageSource(HttpSource):
    """A feed of ``rows`` at or after ``since - overlap``, ``size`` a page."""

    system = "demo"
    specs = (THINGS, PLAIN)
    rows: list[Any]
    size = 2
    overlap = timedelta(0)
    asked: list[tuple[datetime | None, int]]

    def paginator(self, spec: EntitySpec) -> Paginator[Any]:
        return PageNumberPaginator()

    async def fetch_page(
        self, spec: EntitySpec, since: datetime | None, token: Any
    ) -> tuple[list[Any], Any]:
        self.asked.append((since, token))
        listed = [
            r
            for r in self.rows
            if since is None
            or "UpdatedAt" not in r
            or datetime.fromisoformat(r["UpdatedAt"]) >= since - self.overlap
        ]
        page = listed[(token - 1) * self.size : token * self.size]
        return page, page


def source(cls: type[PageSource], rows: list[Any], **values: Any) -> PageSource:
    settings = values.pop("settings", None) or ConnectorSettings(
        base_url="https://demo.test", **values
    )
    made = cls(HttpClient(system="demo", base_url="https://demo.test"), settings)
    made.rows, made.asked = rows, []
    return made


async def read(
    made: PageSource, entity: str = "Things", cursor: Cursor | None = None
) -> list[SourcePage]:
    return [page async for page in made.read(entity, cursor)]


def ids(pages: list[SourcePage]) -> list[str]:
    return [event.id for page in pages for event in page.events]


def test_a_client_of_another_system_is_a_configuration_error() -> None:
    other = HttpClient(system="other", base_url="https://x.test")
    with pytest.raises(ConfigurationError, match="demo needs a demo client"):
        PageSource(other, ConnectorSettings(base_url="https://x.test"))


async def test_a_page_that_moves_the_cursor_restarts_the_read() -> None:
    made = source(PageSource, [row(1, 1), row(2, 2), row(3, 3)])
    pages = await read(made)
    assert ids(pages) == ["1", "2", "3"]
    assert made.asked == [
        (None, 1),
        (T0 + timedelta(seconds=2), 1),
        (T0 + timedelta(seconds=3), 1),
        (T0 + timedelta(seconds=3), 2),  # the empty page that ends the listing
    ]


class KeysetSource(PageSource):
    restarts = False


async def test_a_source_with_its_own_keyset_reads_on() -> None:
    made = source(KeysetSource, [row(1, 1), row(2, 2), row(3, 3)])
    assert ids(await read(made)) == ["1", "2", "3"]
    assert made.asked == [(None, 1), (None, 2), (None, 3)]


class OverlappingFeed(PageSource):
    overlap = timedelta(seconds=10)


class OverlapSkippingFeed(OverlappingFeed):
    skips_older = True


@pytest.mark.parametrize(
    ("cls", "published"),
    # Without skips_older an overlapping feed brings row 1 back on the restart.
    [(OverlappingFeed, ["1", "2", "1"]), (OverlapSkippingFeed, ["2"])],
)
async def test_rows_older_than_the_cursor_are_skipped_where_asked(
    cls: type[PageSource], published: list[str]
) -> None:
    cursor = Cursor(since=T0 + timedelta(seconds=5), boundary_ids=("9",))
    made = source(cls, [row(1, 0), row(2, 9)])
    pages = await read(made, cursor=cursor)
    assert ids(pages) == published
    assert pages[-1].cursor.since == T0 + timedelta(seconds=9)


class ReferenceSource(PageSource):
    """Lists references (``Ref``); the records come from ``records``."""

    size = 10
    records: dict[int, Any]
    resolved: list[int]

    async def resolve(self, spec: EntitySpec, ref: Any) -> Any:
        self.resolved.append(ref["Id"])
        if "Broken" in ref:
            reason = "reference: broken"
            raise invalid_record("demo", spec.name, str(ref["Id"]), reason)
        return self.records.get(ref["Id"], GONE)


async def test_references_are_resolved_once_and_the_cursor_follows_them() -> None:
    refs = [row(1, 1), row(2, 2), row(3, 3, Broken=True), row(4, 4)]
    made = source(ReferenceSource, refs)
    assert isinstance(made, ReferenceSource)
    # Record 1 changed again after it was listed; record 2 is gone.
    made.records = {1: row(1, 60, Name="new"), 4: row(4, 4, Name="x" * 9)}
    made.resolved = []
    cursor = Cursor(since=T0 + timedelta(seconds=1), boundary_ids=("1",))
    made.settings = ConnectorSettings(base_url="https://demo.test", max_text_chars=5)
    made.limits = made.settings.record_limits()
    [page] = await read(made, cursor=cursor)
    assert made.resolved == [2, 3, 4]  # 1 was published at the cursor already
    assert [b.record_id for b in page.bad_records] == ["3", "4"]
    assert page.bad_records[0].payload == refs[2]  # the reference: no record
    assert page.bad_records[1].payload == made.records[4]
    assert page.cursor == Cursor(since=T0 + timedelta(seconds=4), boundary_ids=("4",))


class SkewedSettings(ConnectorSettings):
    def clock(self, entity: str) -> LocalClock:
        return LocalClock(skew=timedelta(minutes=1))


async def test_the_settings_clock_sets_events_and_cursors() -> None:
    settings = SkewedSettings(base_url="https://demo.test")
    made = source(PageSource, [row(1, 0)], settings=settings)
    [page] = await read(made)
    assert page.events[0].modified_at == T0 + timedelta(minutes=1)
    assert page.cursor.since == T0 + timedelta(minutes=1)


async def test_types_without_times_are_read_as_snapshots() -> None:
    made = source(PageSource, [{"Id": 1}, {"Id": 2}])
    before = datetime.now(UTC)
    pages = await read(made, "Plain")
    assert ids(pages) == ["1", "2"]
    assert all(e.modified_at >= before for p in pages for e in p.events)
    cursor = pages[-1].cursor
    assert cursor.boundary_ids[0] == SNAPSHOT_MARK
    made.rows = [{"Id": 1}]
    [gone] = await read(made, "Plain", cursor)
    assert [(e.id, e.op) for e in gone.events] == [("2", Operation.DELETE)]
    # A snapshot cursor handed to a feed read starts the feed over.
    made.rows = [row(7, 0)]
    assert ids(await read(made, "Things", cursor)) == ["7"]
