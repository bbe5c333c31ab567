"""Deterministic, realistic Norwegian/Danish sample records for the Webcrm stand-in."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from standins._samples import fold
from standins.webcrm.fields import format_time

if TYPE_CHECKING:
    from standins.webcrm.app import WebcrmStandIn

Record = dict[str, Any]

# Ids of each entity start in their own range, so an id used for the wrong entity
# type points at nothing instead of at an unrelated record.
FIRST_ORGANISATION_ID = 1001
FIRST_PERSON_ID = 5001
FIRST_PRODUCT_ID = 9001

_PLACES = [
    # (city, post code, country, ISO code, VAT style)
    ("Oslo", "0155", "Norway", "NO", "NO"),
    ("Bergen", "5003", "Norway", "NO", "NO"),
    ("Trondheim", "7010", "Norway", "NO", "NO"),
    ("Stavanger", "4006", "Norway", "NO", "NO"),
    ("Tromsø", "9008", "Norway", "NO", "NO"),
    ("Drammen", "3015", "Norway", "NO", "NO"),
    ("København", "1050", "Denmark", "DK", "DK"),
    ("Aarhus", "8000", "Denmark", "DK", "DK"),
    ("Odense", "5000", "Denmark", "DK", "DK"),
    ("Aalborg", "9000", "Denmark", "DK", "DK"),
]
_NAME_HEADS = [
    "Fjord", "Nordlys", "Vestkyst", "Bølge", "Granskog", "Havblikk", "Fjell",
    "Solvang", "Dalheim", "Kystlinje", "Øresund", "Lyngby", "Skagen", "Tinde",
    "Elvebakken", "Furulund", "Strand", "Vinterhavn", "Bjørke", "Hedemark",
]  # fmt: skip
_NAME_TAILS = [
    "Bygg", "Elektro", "Regnskap", "Transport", "Data", "Rørlegger", "Eiendom",
    "Marine", "Handel", "Konsult", "Maskin", "Design", "Energi", "Logistikk",
]  # fmt: skip
_STREETS = {
    "NO": ["Storgata", "Kongens gate", "Strandveien", "Industriveien", "Bryggen",
           "Havnegata", "Kirkegata", "Parkveien"],
    "DK": ["Vestergade", "Nørregade", "Østergade", "Havnegade", "Strandvejen",
           "Industrivej", "Kirkevej"],
}  # fmt: skip
_FIRST = [
    "Kari", "Ola", "Ingrid", "Lars", "Mette", "Søren", "Anne", "Jens", "Sigrid",
    "Henrik", "Camilla", "Magnus", "Line", "Rasmus", "Nora", "Emil", "Ida",
    "Mads", "Silje", "Thomas", "Astrid", "Frederik", "Hanne", "Erik",
]  # fmt: skip
_LAST = [
    "Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen",
    "Nielsen", "Berg", "Haugen", "Jensen", "Christensen", "Dahl", "Lie", "Bakke",
    "Mortensen", "Solberg", "Kristiansen", "Holm", "Lund",
]  # fmt: skip
_TITLES = ["CEO", "CFO", "Daglig leder", "Innkjøper", "Salgssjef", "Controller", ""]
_PRODUCT_HEADS = [
    "Servicepakke", "Lisens", "Vedlikeholdsavtale", "Sensor", "Ruter", "Skjerm",
    "Kontorstol", "Varmepumpe", "Support", "Opplæring", "Skylagring", "Kabel",
]  # fmt: skip
_PRODUCT_TAILS = [
    "Basis", "Pro", "Premium", "Enterprise", "Mini", "Max", "Plus", "Lite",
    "XL", "Nordic",
]  # fmt: skip


def _times(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(created, updated) pairs in the past, updated strictly increasing."""
    base = datetime(2023, 1, 2, 8, 0, tzinfo=UTC)
    offsets = sorted(rng.sample(range(1, 365 * 24 * 3600), count))
    pairs = []
    for offset in offsets:
        updated = base + timedelta(seconds=offset)
        created = base + timedelta(seconds=rng.randrange(0, offset))
        pairs.append((format_time(created), format_time(updated)))
    rng.shuffle(pairs)
    return pairs


def _vat(rng: random.Random, style: str, used: set[str]) -> str:
    while True:
        vat = (
            f"NO9{rng.randrange(10**7, 10**8)}MVA"
            if style == "NO"
            else f"DK{rng.randrange(10**7, 10**8)}"
        )
        if vat not in used:
            used.add(vat)
            return vat


def _imported(prefix: str, created: str, updated: str) -> Record:
    """The server fields of a record that came in by an import."""
    return {
        f"{prefix}CreatedAt": created,
        f"{prefix}CreatedBy": "Import",
        f"{prefix}UpdatedAt": updated,
        f"{prefix}UpdatedBy": "Import",
    }


def _named(
    rng: random.Random, heads: list[str], tails: list[str], count: int, what: str
) -> list[tuple[int, tuple[str, tuple[str, str]]]]:
    """``count`` distinct "<head> <tail>" names by number, with (created, updated)."""
    names = [f"{h} {t}" for h in heads for t in tails]
    if count > len(names):
        msg = f"at most {len(names)} sample {what}"
        raise ValueError(msg)
    chosen = rng.sample(names, count)
    return list(enumerate(zip(chosen, _times(rng, count), strict=True)))


def _organisations(rng: random.Random, count: int) -> list[Record]:
    vats: set[str] = set()
    out = []
    named = _named(rng, _NAME_HEADS, _NAME_TAILS, count, "organisations")
    for i, (name, (created, updated)) in named:
        city, post, country, iso, style = rng.choice(_PLACES)
        suffix = " AS" if style == "NO" else " ApS"
        domain = f"{fold(name)}.{iso.lower()}"
        street = f"{rng.choice(_STREETS[iso])} {rng.randrange(1, 80)}"
        out.append(
            {
                "OrganisationId": FIRST_ORGANISATION_ID + i,
                "OrganisationName": name + suffix,
                "OrganisationAddress": street,
                "OrganisationPostCode": post,
                "OrganisationCity": city,
                "OrganisationCountry": country,
                "OrganisationTelephone": f"+{47 if iso == 'NO' else 45} "
                f"{rng.randrange(10**7, 10**8)}",
                "OrganisationWww": domain,
                "OrganisationDomain": domain,
                "OrganisationVatNumber": _vat(rng, style, vats),
                "OrganisationVatCountry": iso,
                "OrganisationType": rng.choice(["Customer", "Customer", "Prospect"]),
                "OrganisationStatus": "Active",
                "OrganisationOwner": rng.randrange(1, 10),
                "OrganisationCountryData": {"CodeISO": iso, "Name": country},
                **_imported("Organisation", created, updated),
            }
        )
    return out


def _persons(rng: random.Random, count: int, orgs: list[Record]) -> list[Record]:
    emails: set[str] = set()
    out = []
    for i, (created, updated) in enumerate(_times(rng, count)):
        # The first pass gives every organisation a person; the rest are random.
        org = orgs[i] if i < len(orgs) else rng.choice(orgs)
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        local, n = f"{fold(first)}.{fold(last)}", 1
        while f"{local}@{org['OrganisationDomain']}" in emails:
            n += 1
            local = f"{fold(first)}.{fold(last)}{n}"
        email = f"{local}@{org['OrganisationDomain']}"
        emails.add(email)
        out.append(
            {
                "PersonId": FIRST_PERSON_ID + i,
                "PersonOrganisationId": org["OrganisationId"],
                "PersonFirstName": first,
                "PersonLastName": last,
                "PersonTitle": rng.choice(_TITLES),
                "PersonEmail": email,
                "PersonDirectPhone": str(rng.randrange(10**7, 10**8)),
                "PersonMobilePhone": str(
                    rng.choice([4, 9]) * 10**7 + rng.randrange(10**7)
                ),
                "PersonStatus": "Active",
                **_imported("Person", created, updated),
            }
        )
    return out


def _products(rng: random.Random, count: int, orgs: list[Record]) -> list[Record]:
    out = []
    named = _named(rng, _PRODUCT_HEADS, _PRODUCT_TAILS, count, "products")
    for i, (name, (created, updated)) in named:
        price = float(rng.randrange(10, 500) * 10 - 1)
        out.append(
            {
                "ProductId": FIRST_PRODUCT_ID + i,
                "ProductOrganisationId": rng.choice(orgs)["OrganisationId"]
                if orgs
                else 0,
                "ProductCombined": name,
                "ProductComment": f"{name} til bedriftskunder",
                "ProductCostPrice": round(price * 0.6, 2),
                "ProductListPrice": price,
                "ProductPrice": price,
                "ProductQuantity": float(rng.randrange(1, 10)),
                "ProductVatCode": "25",
                **_imported("Product", created, updated),
            }
        )
    return out


def webcrm_sample(
    organisations: int = 50, persons: int = 200, products: int = 30, seed: int = 1
) -> dict[str, list[Record]]:
    """Webcrm records per entity, ready for ``WebcrmStandIn.seed`` in this order.

    Ids are given (organisations from 1001, persons from 5001, products from 9001)
    so persons can point at their organisation. E-mails, VAT numbers and product
    names are unique; times lie in 2023 and differ per record.
    """
    rng = random.Random(seed)
    orgs = _organisations(rng, organisations)
    return {
        "Organisations": orgs,
        "Persons": _persons(rng, persons, orgs) if orgs else [],
        "Products": _products(rng, products, orgs),
    }


def seed_webcrm(standin: WebcrmStandIn, **kwargs: Any) -> dict[str, list[Record]]:
    """Seed a Webcrm stand-in with :func:`webcrm_sample`; returns the stored records."""
    data = webcrm_sample(**kwargs)
    return {entity: standin.seed(entity, records) for entity, records in data.items()}
