"""Deterministic, realistic Norwegian sample records for the Membercare stand-in."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from standins._samples import fold
from standins.membercare.fields import local_text

Record = dict[str, Any]

# (id, ISO 3166 alpha-2, the name as a Norwegian tenant lists it)
COUNTRIES: tuple[tuple[int, str, str], ...] = (
    (1, "NO", "Norge"),
    (2, "SE", "Sverige"),
    (3, "DK", "Danmark"),
    (4, "FI", "Finland"),
    (5, "IS", "Island"),
    (6, "GB", "Storbritannia"),
    (7, "DE", "Tyskland"),
    (8, "US", "USA"),
    (9, "NL", "Nederland"),
    (10, "FR", "Frankrike"),
    (11, "ES", "Spania"),
    (12, "PL", "Polen"),
    (13, "IT", "Italia"),
    (14, "EE", "Estland"),
    (15, "LV", "Latvia"),
    (16, "LT", "Litauen"),
    (17, "BE", "Belgia"),
    (18, "CH", "Sveits"),
    (19, "AT", "Østerrike"),
    (20, "IE", "Irland"),
    (21, "PT", "Portugal"),
    (22, "CA", "Canada"),
)

_PLACES = [
    # (city, zip code, ISO code)
    ("Oslo", "0155", "NO"), ("Bergen", "5003", "NO"), ("Trondheim", "7010", "NO"),
    ("Stavanger", "4006", "NO"), ("Tromsø", "9008", "NO"), ("Drammen", "3015", "NO"),
    ("Kristiansand", "4611", "NO"), ("Bodø", "8006", "NO"), ("Ålesund", "6002", "NO"),
    ("Hamar", "2317", "NO"), ("Göteborg", "41103", "SE"), ("København", "1050", "DK"),
]  # fmt: skip
_STREETS = """Storgata, Kongens gate, Strandveien, Industriveien, Kirkegata, Parkveien,
Havnegata, Skolegata, Torggata, Fjordveien""".replace("\n", " ").split(", ")
_HEADS = [
    "Fjord",
    "Nordlys",
    "Vestkyst",
    "Granskog",
    "Fjell",
    "Solvang",
    "Dalheim",
    "Kystlinje",
    "Tinde",
    "Furulund",
    "Bjørke",
    "Hedemark",
    "Elvebakken",
]
_TAILS = [
    "Bygg",
    "Elektro",
    "Regnskap",
    "Transport",
    "Rørlegger",
    "Eiendom",
    "Marine",
    "Handel",
    "Konsult",
    "Maskin",
    "Energi",
    "Trykkeri",
]
_FIRST = [
    "Kari",
    "Ola",
    "Ingrid",
    "Lars",
    "Mette",
    "Anne",
    "Sigrid",
    "Henrik",
    "Nora",
    "Magnus",
    "Silje",
    "Erik",
    "Astrid",
    "Jonas",
    "Hanne",
    "Kristian",
]
_LAST = [
    "Nordmann",
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Berg",
    "Haugen",
    "Dahl",
    "Lie",
    "Bakke",
    "Solberg",
    "Holm",
    "Lund",
    "Moen",
]
_PRODUCTS = [
    ("Kontingent", 0.0), ("Kontingent student", 0.0), ("Kontingent familie", 0.0),
    ("Medlemsblad", 0.0), ("Kurs: Styrearbeid", 25.0), ("Seminaravgift", 25.0),
    ("Landsmøte deltakeravgift", 25.0), ("Gave", 0.0),
]  # fmt: skip
_CHAPTERS = [("0301", "Oslo"), ("4601", "Bergen"), ("5001", "Trondheim"),
             ("1103", "Stavanger"), ("5501", "Tromsø"), ("4204", "Kristiansand"),
             ("3005", "Drammen"), ("1804", "Bodø"), ("1508", "Ålesund"),
             ("3403", "Hamar")]  # fmt: skip
_BASE = datetime(2023, 1, 2, 7, 0, tzinfo=UTC)
_NO_VAT = dict.fromkeys(("cvr", "se", "vat", "rut", "p"))


def _naive(moment: datetime) -> str:
    """A date-time without offset, as Membercare writes dates (birth, due, ...)."""
    return moment.replace(tzinfo=None).isoformat()


def countries() -> list[Record]:
    """The tenant's country list (read-only in the API)."""
    return [
        {"id": i, "iso2Letter": iso, "iso3Letter": None, "name": name}
        for i, iso, name in COUNTRIES
    ]


def _country(iso: str) -> Record:
    i, code, name = next(c for c in COUNTRIES if c[1] == iso)
    return {"id": i, "iso2Letter": code, "iso3Letter": None, "name": name}


def _when(rng: random.Random) -> str:
    """A local time in 2023, sometimes with milliseconds (as .NET renders them)."""
    moment = _BASE + timedelta(seconds=rng.randrange(365 * 24 * 3600))
    return local_text(
        moment + timedelta(milliseconds=rng.choice([0, rng.randrange(1000)]))
    )


def _address(rng: random.Random, number: int, kind: int = 1) -> Record:
    city, zip_code, iso = rng.choice(_PLACES)
    return {
        "id": number,
        "street": rng.choice(_STREETS),
        "number": str(rng.randrange(1, 120)),
        "letter": rng.choice([None, None, "A", "B"]),
        "postalCode": {"id": int(zip_code), "zipCode": zip_code, "city": city},
        "country": _country(iso),
        "addressType": kind,
        "start": "2020-01-01T00:00:00",
        "end": None,
        "lastChange": _when(rng),
    }


def _companies(rng: random.Random, count: int) -> list[Record]:
    names = rng.sample([f"{h} {t}" for h in _HEADS for t in _TAILS], count)
    out = []
    for i, name in enumerate(names):
        domain = f"{fold(name)}.no"
        org_number = f"9{rng.randrange(10**7, 10**8)}"
        # Every fourth company has no VAT number: flows match those by name.
        vat = None if i % 4 == 3 else f"NO{org_number}MVA"
        out.append(
            {
                "debtorAccountNumber": str(1001 + i),
                "id": 5001 + i,
                "companyName": f"{name} AS",
                "category": {"id": 3, "description": "Bedrift", "valid": True},
                "businessNumbers": _NO_VAT | {"vat": vat},
                "addresses": [_address(rng, 100 + i)],
                "contacts": [
                    {
                        "id": 300 + i,
                        "type": 1,
                        "value": f"post@{domain}",
                        "start": "2020-01-01T00:00:00",
                        "end": None,
                    }
                ],
                "einvoiceEmail": f"faktura@{domain}",
                "lastChange": _when(rng),
            }
        )
    return out


def _persons(rng: random.Random, count: int) -> list[Record]:
    out = []
    for i in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        born = datetime(1950, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(20000))
        out.append(
            {
                "debtorAccountNumber": str(20001 + i),
                "id": 7001 + i,
                "firstname": first,
                "lastname": last,
                "gender": rng.choice([1, 2]),
                "birthDate": _naive(born),
                "addresses": [_address(rng, 1000 + i)],
                "contacts": [
                    {
                        "id": 3000 + i,
                        "type": 1,
                        "value": f"{fold(first)}.{fold(last)}{i}@example.no",
                        "start": "2021-01-01T00:00:00",
                        "end": None,
                    }
                ],
                "allowSms": rng.random() < 0.5,
                "allowEmail": True,
                "lastChange": _when(rng),
            }
        )
    return out


def _organizations(
    rng: random.Random, count: int, companies: list[Record]
) -> list[Record]:
    out = []
    for i, (number, city) in enumerate(_CHAPTERS[:count]):
        company = companies[i]["debtorAccountNumber"] if i < len(companies) else None
        out.append(
            {
                "identificationNumber": number,
                "id": i + 1,
                "name": f"{city} lokallag",
                "addresses": [_address(rng, 2000 + i)],
                "companyLink": f"companies/{company}"
                if company and i % 2 == 0
                else None,
                "startDate": f"{2000 + i}-01-01T00:00:00",
            }
        )
    return out


def _item(number: int, product: Record, price: float, year: int) -> Record:
    vat = round(price * product["vatPercent"] / 100, 2)
    return {
        "id": number,
        "description": f"{product['name']} {year}",
        "unitPrice": price,
        "quantity": 1.0,
        "totalPrice": price + vat,
        "totalVat": vat,
        "sequence": 1,
        "isCredited": False,
    }


def _payer(kind: str, debtor: Record) -> Record:
    name = debtor.get("companyName") or f"{debtor['firstname']} {debtor['lastname']}"
    dan = debtor["debtorAccountNumber"]
    return {"debtorAccountNumber": dan, "name": name, "url": f"{kind}/{dan}"}


def _invoices(
    rng: random.Random,
    count: int,
    payers: list[tuple[str, Record]],
    products: list[Record],
) -> list[Record]:
    out = []
    for i in range(count):
        kind, payer = rng.choice(payers)
        price = float(rng.choice([300, 450, 500, 750, 1200]))
        issued = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(300))
        item = _item(i + 1, rng.choice(products), price, issued.year)
        out.append(
            {
                "id": 90001 + i,
                "payer": _payer(kind, payer),
                "financeStatus": rng.choice([0, 1, 1, 2]),
                "financeDate": _naive(issued),
                "payDueDate": _naive(issued + timedelta(days=30)),
                "incomeDate": _naive(issued),
                "invoiceItems": [item],
                "payments": [],
            }
        )
    return out


def membercare_sample(
    companies: int = 20,
    persons: int = 60,
    organizations: int = 8,
    invoices: int = 40,
    seed: int = 1,
) -> dict[str, list[Record]]:
    """Membercare records per resource, in seeding order for ``MembercareStandIn``.

    Companies are debtors 1001.., persons 20001..; every fourth company has no VAT
    number; invoices are paid by persons and companies of the sample.
    """
    rng = random.Random(seed)
    products = [
        {
            "id": 11 + i,
            "name": name,
            "vatPercent": vat,
            "notOnInvoiceIfZero": False,
            "valid": i != len(_PRODUCTS) - 1,
        }
        for i, (name, vat) in enumerate(_PRODUCTS)
    ]
    company_rows = _companies(rng, companies)
    person_rows = _persons(rng, persons)
    payers = [("persons", p) for p in person_rows] + [
        ("companies", c) for c in company_rows
    ]
    return {
        "Countries": countries(),
        "Products": products,
        "Companies": company_rows,
        "Persons": person_rows,
        "Organizations": _organizations(
            rng, min(organizations, len(_CHAPTERS)), company_rows
        ),
        "Invoices": _invoices(rng, invoices, payers, products) if payers else [],
    }
