"""Gathering for verify without a broker: full listings and flow selection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from connectors.base.protocols import BadRecord, SourcePage
from connectors.errors import ConfigurationError
from dataflows import flows_by_name, load_documents
from ops.verify import pick_flows, read_listing
from schemas.envelope import ChangeEvent, Cursor, Operation

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
FLOWS = flows_by_name(load_documents())
WEBCRM = {n: f for n, f in FLOWS.items() if f.source.system == "webcrm"}


def change(
    record_id: str, minutes: int, op: Operation = Operation.UPSERT, **data: Any
) -> ChangeEvent:
    return ChangeEvent(
        system="webcrm",
        entity="Persons",
        id=record_id,
        op=op,
        data=None if op is Operation.DELETE else {"PersonId": record_id, **data},
        modified_at=T0 + timedelta(minutes=minutes),
    )


class PagedSource:
    """A source that serves fixed pages and remembers the cursors it was asked for."""

    system: ClassVar[str] = "webcrm"

    def __init__(self, pages: list[SourcePage]) -> None:
        self.pages = pages
        self.asked: list[tuple[str, Cursor | None]] = []

    def entities(self) -> tuple[str, ...]:
        return ("Persons",)

    async def read(
        self, entity: str, cursor: Cursor | None
    ) -> AsyncIterator[SourcePage]:
        self.asked.append((entity, cursor))
        for page in self.pages:
            yield page


async def test_listing_reads_everything_and_keeps_the_latest_state_per_id():
    bad = BadRecord("webcrm", "Persons", "3", "webcrm Persons 3: bad e-mail")
    fixed_later = change("3", 9, PersonLastName="Fixed")
    source = PagedSource(
        [
            SourcePage([change("1", 1, PersonLastName="A"), change("2", 2)], Cursor()),
            SourcePage([change("1", 5, PersonLastName="B")], Cursor(), [bad]),
            SourcePage([change("2", 6, Operation.DELETE), fixed_later], Cursor()),
        ]
    )
    messages = []

    def progress(message, *, milestone=True):
        messages.append((message, milestone))

    listing = await read_listing(source, "Persons", progress)
    assert source.asked == [("Persons", None)]  # from the start: a full listing
    assert (listing.events["1"].data or {})["PersonLastName"] == "B"
    assert listing.events["2"].op is Operation.DELETE
    assert listing.events["3"] == fixed_later
    assert listing.invalid == {}
    assert messages[-1] == ("webcrm Persons: 3 records", True)
    assert [m for m, milestone in messages if not milestone] == [
        "webcrm Persons: 2 read",
        "webcrm Persons: 3 read",
        "webcrm Persons: 3 read",
    ]


async def test_listing_keeps_records_that_fail_validation_apart():
    bad = BadRecord("webcrm", "Persons", "4", "webcrm Persons 4: PersonId: bad")
    source = PagedSource([SourcePage([change("4", 1)], Cursor(), [bad])])
    listing = await read_listing(source, "Persons", lambda m, milestone=True: None)
    assert listing.events == {}
    assert listing.invalid == {"4": "webcrm Persons 4: PersonId: bad"}


def test_no_wanted_flow_means_every_active_flow():
    assert pick_flows(WEBCRM, []) == WEBCRM


def test_flows_are_picked_by_flow_or_document_name_in_active_order():
    persons, orgs = (
        "webcrm-persons-to-customcrm-contact",
        "webcrm-organisations-to-customcrm-customer",
    )
    assert list(pick_flows(WEBCRM, [persons, orgs])) == [orgs, persons]
    assert pick_flows(WEBCRM, ["webcrm-customcrm"]) == WEBCRM


def test_a_flow_that_is_not_active_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="not active; active flows: webcrm-"):
        pick_flows(WEBCRM, ["crmoffice-contacts-to-membercare-persons"])
