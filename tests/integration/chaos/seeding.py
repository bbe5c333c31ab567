"""What a run starts from: sample data on both sides, and five bad inputs."""

from __future__ import annotations

from standins import CustomcrmStandIn, WebcrmStandIn, customcrm_overlap, webcrm_sample
from tests.integration.chaos.invariants import remember_sources
from tests.integration.chaos.model import Expected

STAMP = "2024-05-01T10:00:00.0000000+01:00"
BAD_INPUTS = frozenset(
    {
        "webcrm/Organisations/abc",
        "webcrm/Organisations/<missing>",
        "webcrm/Products/9999",
        "webcrm/Persons/7777",
        "customcrm/Product/PR-9999",
    }
)


def seed_world(
    webcrm: WebcrmStandIn,
    customcrm: CustomcrmStandIn,
    expected: Expected,
    *,
    sizes: tuple[int, int, int],
    seed: int,
) -> int:
    """Seed ``sizes`` (organisations, persons, products) into Webcrm, part of
    them already in Customcrm, plus the bad inputs; returns the good records.

    ``expected`` learns the good sources (each must stay) and the bad inputs'
    dead-letter keys.
    """
    organisations, persons, products = sizes
    data = webcrm_sample(organisations, persons, products, seed=seed)
    for entity, records in data.items():
        webcrm.seed(entity, records)
    for resource, records in customcrm_overlap(data, seed=seed).items():
        customcrm.seed(resource, records)
    remember_sources(expected, data)
    webcrm.inject_raw(
        "Organisations",
        {"OrganisationId": "abc", "OrganisationName": "Wrong Type AS",
         "OrganisationUpdatedAt": STAMP},
    )  # fmt: skip
    webcrm.inject_raw(
        "Organisations",
        {"OrganisationName": "No Id AS", "OrganisationUpdatedAt": STAMP},
    )
    webcrm.inject_raw(
        "Products",
        {"ProductId": 9999, "ProductCombined": "Gratis Basis",
         "ProductPrice": "gratis", "ProductUpdatedAt": STAMP},
    )  # fmt: skip
    webcrm.seed(
        "Persons",
        [{"PersonId": 7777, "PersonOrganisationId": 424242,
          "PersonFirstName": "Orphan", "PersonLastName": "Person",
          "PersonEmail": "orphan@example.no"}],
    )  # fmt: skip
    customcrm.inject_raw(
        "products",
        {"Id": "PR-9999", "Name": "Broken Price", "Price": "abc",
         "UpdatedAt": "2024-05-01T09:00:00.000Z", "Deleted": False},
    )  # fmt: skip
    expected.bad_inputs |= BAD_INPUTS
    return sum(len(r) for r in data.values())
