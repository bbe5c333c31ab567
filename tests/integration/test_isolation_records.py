"""One bad record costs that record only: values, dates and answers that broke workers.

Membercare -> Customwebshop -> Chargebee on the real broker with one worker
process. Each trigger is dead-lettered naming system, type, id, stage and
reason; the worker stays the same process; a later edit of another record of
the same flow on the same partition syncs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from devkit.local import LocalDeployment
from standins import (
    ChargebeeStandIn,
    CustomwebshopStandIn,
    MembercareStandIn,
    StandIn,
    chargebee_sample,
    membercare_sample,
)
from tests.integration.isolation import (
    Worker,
    deployment,
    letters,
    partner,
    table_links,
    wait_for_letter,
    wait_until,
)

COMPANIES = "membercare-companies-to-customwebshop-customer"
INVOICES = "membercare-invoices-to-customwebshop-order"
ORDERS = "customwebshop-order-to-chargebee-order"
# Chargebee orders reference the Customwebshop orders O-5001..: tether creates
# those from the invoices, so the first ten invoices' orders find theirs.
INVOICE_COUNT, CHARGEBEE_ORDERS, COMPANY_COUNT = 24, 16, 16

Shop = tuple[LocalDeployment, dict[str, StandIn]]


@pytest.fixture(scope="module")
def shop(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shop]:
    """Membercare, Customwebshop and Chargebee after the first sync."""
    standins: dict[str, StandIn] = {
        "membercare": MembercareStandIn(),
        "customwebshop": CustomwebshopStandIn(),
        "chargebee": ChargebeeStandIn(),
    }
    with deployment(
        kafka_bootstrap,
        tmp_path_factory.mktemp("records"),
        standins,
        "membercare-customwebshop,customwebshop-chargebee",
        extra_env={"TETHER_REFERENCE_WAIT_SECONDS": "5"},
    ) as local:
        standins["chargebee"].set_faults(rate_limit=None)
        membercare = membercare_sample(
            companies=COMPANY_COUNT, persons=6, organizations=2,
            invoices=INVOICE_COUNT, seed=5,
        )  # fmt: skip
        for resource, records in membercare.items():
            standins["membercare"].seed(resource, records)
        chargebee = chargebee_sample(
            business_entities=[c["companyName"] for c in membercare["Companies"][:3]],
            customers=2, items=3, orders=CHARGEBEE_ORDERS, seed=5,
        )  # fmt: skip
        for resource, records in chargebee.items():
            standins["chargebee"].seed(resource, records)
        local.start_worker()
        wait_until(
            local,
            lambda: (
                len(table_links(local, COMPANIES)) == COMPANY_COUNT
                and len(table_links(local, INVOICES)) == INVOICE_COUNT
                and len(table_links(local, ORDERS)) == CHARGEBEE_ORDERS
            ),
            "the first sync",
            timeout=400,
        )
        yield local, standins


def _pair(local: LocalDeployment, flow: str, n: int) -> tuple[str, str, str]:
    """The ``n``-th linked source of ``flow``, its target, and a partition partner."""
    links = table_links(local, flow)
    source = sorted(links)[n]
    return source, links[source], partner(source, links, local.partitions)


def test_an_order_reference_edited_to_text_costs_that_order_only(shop: Shop):
    local, standins = shop
    membercare, webshop = standins["membercare"], standins["customwebshop"]
    worker = Worker(local)
    invoice, order, other = _pair(local, INVOICES, 0)

    # The Reference carries Membercare's integer invoice id back: text cannot go.
    webshop.edit("orders", order, {"Reference": "tjuefem"})
    letter = wait_for_letter(
        local, system="customwebshop", entity="Order", record_id=order, stage="flow"
    )
    assert letter["flow"] == INVOICES
    assert "Reference" in letter["reason"]
    assert "tjuefem" in letter["reason"]
    assert membercare.get("Invoices", int(invoice))["id"] == int(invoice)

    _edit_invoice_line(membercare, other, "Kontingent, endret etterpå")
    other_order = table_links(local, INVOICES)[other]
    wait_until(
        local,
        lambda: (
            webshop.get("orders", other_order)["Lines"][0]["Description"]
            == "Kontingent, endret etterpå"
        ),
        "an edit of another invoice on the same partition",
    )
    worker.assert_same()


def _edit_invoice_line(membercare: StandIn, invoice: str, description: str) -> None:
    items: list[dict[str, Any]] = copy.deepcopy(
        membercare.get("Invoices", int(invoice))["invoiceItems"]
    )
    items[0]["description"] = description
    membercare.edit("Invoices", int(invoice), {"invoiceItems": items})


def test_a_chargebee_date_in_milliseconds_costs_that_order_only(shop: Shop):
    local, standins = shop
    webshop, chargebee = standins["customwebshop"], standins["chargebee"]
    worker = Worker(local)
    order, chargebee_order, other = _pair(local, ORDERS, 1)

    chargebee.edit("orders", chargebee_order, {"order_date": 1_717_243_200_000})
    letter = wait_for_letter(
        local,
        system="chargebee",
        entity="Order",
        record_id=chargebee_order,
        stage="flow",
    )
    assert letter["flow"] == ORDERS
    assert "order_date" in letter["reason"]
    assert "1717243200000" in letter["reason"]

    other_chargebee = table_links(local, ORDERS)[other]
    chargebee.edit("orders", other_chargebee, {"order_date": 1_717_243_200})  # June 1
    wait_until(
        local,
        lambda: webshop.get("orders", other)["OrderDate"] == "2024-06-01",
        "an edit of another Chargebee order on the same partition",
    )
    assert webshop.get("orders", order)["OrderDate"] != "56386-01-01"
    worker.assert_same()


def test_a_403_on_one_record_costs_that_record_only(shop: Shop):
    local, standins = shop
    membercare, webshop = standins["membercare"], standins["customwebshop"]
    worker = Worker(local)
    company, customer, other = _pair(local, COMPANIES, 2)

    # Refused every time (one refusal alone is tried once more, and goes through).
    webshop.fail_next(2, 403, method="PUT", path=f"/customers/{customer}")
    membercare.edit("Companies", company, {"companyName": "Avvist Selskap AS"})
    letter = wait_for_letter(
        local, system="membercare", entity="Companies", record_id=company, stage="flow"
    )
    assert letter["flow"] == COMPANIES
    assert "403" in letter["reason"]
    assert webshop.injector.injected[403] == 2

    membercare.edit("Companies", other, {"companyName": "Naboselskap 403 AS"})
    other_customer = table_links(local, COMPANIES)[other]
    wait_until(
        local,
        lambda: (
            webshop.get("customers", other_customer)["Name"] == "Naboselskap 403 AS"
        ),
        "an edit of another company on the same partition",
    )
    worker.assert_same()


def test_a_write_answered_with_a_web_page_is_checked_again_and_lands(shop: Shop):
    # The stand-in applies the write and answers it with an HTML page: the
    # answer is no proof either way, so the record is tried once more, finds
    # the write done, and nothing is dead-lettered.
    local, standins = shop
    membercare, webshop = standins["membercare"], standins["customwebshop"]
    worker = Worker(local)
    company, customer, other = _pair(local, COMPANIES, 5)

    webshop.corrupt_next(1, "html200", path=f"/customers/{customer}", method="PUT")
    membercare.edit("Companies", company, {"companyName": "Nettside Svar AS"})
    wait_until(
        local,
        lambda: webshop.injector.corrupted["html200"] == 1,
        "the write answered with a web page",
    )
    assert webshop.get("customers", customer)["Name"] == "Nettside Svar AS"

    membercare.edit("Companies", other, {"companyName": "Naboselskap HTML AS"})
    other_customer = table_links(local, COMPANIES)[other]
    wait_until(
        local,
        lambda: (
            webshop.get("customers", other_customer)["Name"] == "Naboselskap HTML AS"
        ),
        "an edit of another company on the same partition",
    )
    company_letters = [
        letter
        for letter in letters(local)
        if (letter["entity"], letter["record_id"]) == ("Companies", company)
    ]
    assert company_letters == []
    worker.assert_same()
