"""Key log lines of the worker carry the record they are about, said once."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from dataflows import flows_by_name, load_documents
from schemas.envelope import DeadLetter, FlowReport
from streams.acks import Limits
from streams.topology import _sender, letter_fields, log_dead_letter

FLOW = flows_by_name(load_documents())[
    "customwebshop-customer-to-chargebee-business-entity"
]


class AckingTopic:
    """A faust topic whose broker acknowledges every send at once."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, *, key: str, value: Any) -> asyncio.Future[str]:
        self.sent.append(key)
        future = asyncio.get_running_loop().create_future()
        future.set_result("metadata")
        return future


def test_a_repeated_report_is_logged_once_with_its_record(caplog):
    caplog.set_level(logging.DEBUG, logger="streams.topology")
    topic = AckingTopic()
    send = _sender(topic, Limits(), "report", FLOW)
    report = FlowReport(
        flow=FLOW.name, kind="unmatched", source_id="C-1001", detail="no match"
    )

    async def main() -> None:
        await send(report)
        await send(report)  # the same record, changed again: the same report
        await send(report.model_copy(update={"detail": "two matches"}))

    asyncio.run(main())
    assert len(topic.sent) == 3  # every report is sent; only the log is quieter
    lines = [r for r in caplog.records if r.name == "streams.topology"]
    assert [r.levelno for r in lines] == [
        logging.WARNING,
        logging.DEBUG,
        logging.WARNING,
    ]
    first: Any = lines[0]
    assert (first.flow, first.system, first.type, first.id) == (
        FLOW.name,
        "customwebshop",
        "Customer",
        "C-1001",
    )


def test_a_dead_letter_line_names_its_record():
    letter = DeadLetter(
        system="webcrm",
        entity="Products",
        record_id="9999",
        reason="ProductPrice is not a number",
        stage="source",
        error_type="BadRecord",
    )
    assert letter_fields(letter) == {
        "flow": None,
        "system": "webcrm",
        "type": "Products",
        "id": "9999",
    }


def test_a_dead_letter_line_names_its_record_once(caplog):
    def letter(reason: str) -> DeadLetter:
        return DeadLetter(
            system="webcrm",
            entity="Products",
            record_id="9001",
            reason=reason,
            stage="source",
            error_type="BadRecord",
        )

    with caplog.at_level(logging.ERROR, logger="streams.topology"):
        log_dead_letter(letter("webcrm Products 9001: ProductPrice: not a number"))
        log_dead_letter(letter("ProductPrice is not a number"))
    assert [r.getMessage() for r in caplog.records] == [
        "dead letter: webcrm Products 9001: ProductPrice: not a number",
        "dead letter: webcrm Products 9001: ProductPrice is not a number",
    ]
    assert caplog.records[0].__dict__["id"] == "9001"
