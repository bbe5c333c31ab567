"""Deterministic Norwegian sample records for the Crmoffice stand-in.

Countries are free text and spelled the many ways real users type them ("Norge",
"Norway", "NO", "norge ", "Sverige", "Sweden", ...), some left empty, so the
Crmoffice -> Membercare Countries flows have something to normalise.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from standins._samples import PLACES, fold
from standins.crmoffice.fields import format_time

Record = dict[str, Any]

COUNTRY_SPELLINGS: tuple[str | None, ...] = (
    "Norge", "Norge", "Norge", "Norway", "NO", "norge ", "Noreg", "Sverige",
    "Sweden", "SE", "Danmark", "Denmark", "DK", "Tyskland", "Germany", "Finland",
    "Storbritannia", "UK", "", None,
)  # fmt: skip
_NAMES = [
    "Fjord Bygg", "Nordlys Data", "Vestkyst Regnskap", "Granskog Eiendom",
    "Havblikk Marine", "Solvang Konsult", "Tinde Energi", "Furulund Handel",
    "Bølge Design", "Dalheim Transport", "Kystlinje Logistikk", "Fjell Maskin",
]  # fmt: skip
_FIRST = ["Kari", "Ola", "Ingrid", "Lars", "Sigrid", "Henrik", "Nora", "Erik", "Ida"]
_LAST = ["Nordmann", "Hansen", "Olsen", "Berg", "Haugen", "Dahl", "Lie", "Bakke"]
_SUBJECTS = ["Oppfølgingsmøte", "Tilbudsgjennomgang", "Kundebesøk", "Demo", "Lunsj"]
_BASE = datetime(2024, 1, 2, 8, 0, tzinfo=UTC)


def _address(rng: random.Random, street: str) -> Record:
    city, code = rng.choice(PLACES)
    return {
        "streetAddress": street,
        "postCode": code,
        "postalArea": city,
        "country": rng.choice(COUNTRY_SPELLINGS),
    }


def _stamp(rng: random.Random) -> str:
    return format_time(_BASE + timedelta(seconds=rng.randrange(200 * 24 * 3600)))


def crmoffice_sample(
    companies: int = 12, contacts: int = 30, activities: int = 20, seed: int = 1
) -> dict[str, list[Record]]:
    """Crmoffice records per resource, in seeding order for ``CrmofficeStandIn``.

    Companies are ``c-100``.., contacts ``p-200``.. (each pointing at a company),
    activities ``a-300``.., users ``u-1``..``u-4``.
    """
    rng = random.Random(seed)
    users = [
        {"id": f"u-{i}", "userName": f"{fold(first)}@crm.example.no", "name": first,
         "email": f"{fold(first)}@crm.example.no"}
        for i, first in enumerate(["Kari", "Ola", "Ingrid", "Lars"], start=1)
    ]  # fmt: skip
    company_rows = []
    for i in range(companies):
        name = f"{_NAMES[i % len(_NAMES)]}{'' if i < len(_NAMES) else f' {i}'} AS"
        visit = _address(rng, f"Storgata {rng.randrange(1, 90)}")
        # Post and visiting countries mostly agree, but not always.
        post = _address(rng, f"Postboks {rng.randrange(1, 900)}")
        if rng.random() < 0.7:
            post["country"] = visit["country"]
        company_rows.append(
            {
                "id": f"c-{100 + i}",
                "name": name,
                "orgNr": f"9{rng.randrange(10**7, 10**8)}",
                "email": f"post@{fold(name.removesuffix(' AS'))}.no",
                "phone": str(rng.randrange(2 * 10**7, 8 * 10**7)),
                "postAddress": post,
                "visitAddress": visit,
                "updatedAt": _stamp(rng),
            }
        )
    contact_rows = []
    for i in range(contacts):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        company = company_rows[i % len(company_rows)]["id"] if company_rows else None
        contact_rows.append(
            {
                "id": f"p-{200 + i}",
                "givenName": first,
                "familyName": last,
                "email": f"{fold(first)}.{fold(last)}{i}@example.no",
                "directPhone": str(rng.randrange(2 * 10**7, 8 * 10**7)),
                "mobilePhone": str(rng.choice([4, 9]) * 10**7 + rng.randrange(10**7)),
                "company": {"id": company} if company else None,
                "updatedAt": _stamp(rng),
            }
        )
    activity_rows = []
    for i in range(activities):
        starts = _BASE + timedelta(hours=rng.randrange(24 * 200))
        city, _ = rng.choice(PLACES)
        activity_rows.append(
            {
                "id": f"a-{300 + i}",
                "subject": rng.choice(_SUBJECTS),
                "startsAt": format_time(starts),
                "endsAt": format_time(starts + timedelta(hours=1)),
                "ownerId": rng.choice(users)["id"],
                "address": {
                    "postalArea": city,
                    "country": rng.choice(COUNTRY_SPELLINGS),
                },
                "updatedAt": _stamp(rng),
            }
        )
    return {
        "Users": users,
        "Companies": company_rows,
        "Contacts": contact_rows,
        "Activities": activity_rows,
    }
