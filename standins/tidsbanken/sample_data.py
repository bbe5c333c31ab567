"""Deterministic Norwegian sample records for the Tidsbanken stand-in."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from standins._samples import fold
from standins.tidsbanken.fields import format_label

Record = dict[str, Any]

_PLACES = [
    ("Oslo", "0155"), ("Bergen", "5003"), ("Trondheim", "7010"),
    ("Stavanger", "4006"), ("Kristiansand", "4611"), ("Tromsø", "9008"),
    ("Drammen", "3015"), ("Gjøvik", "2815"),
]  # fmt: skip
_STREETS = ["Storgata", "Industriveien", "Strandgata", "Kirkegata", "Bryggen"]
_CUSTOMERS = [
    "Fjord Bygg", "Nordlys Elektro", "Vestkyst Rørlegger", "Granskog Eiendom",
    "Havblikk Marine", "Solvang Regnskap", "Tinde Maskin", "Furulund Handel",
    "Bjørke Transport", "Dalheim Snekkeri", "Kystlinje Logistikk", "Fjell Energi",
]  # fmt: skip
_DEPARTMENTS = [
    "Salg", "Drift", "Administrasjon", "Prosjekt", "Service", "Lager", "Økonomi", "IT",
]  # fmt: skip
_BASE = datetime(2023, 3, 1, 7, 0, tzinfo=UTC)


def _label(rng: random.Random) -> str:
    moment = _BASE + timedelta(seconds=rng.randrange(300 * 24 * 3600))
    return format_label(moment + timedelta(milliseconds=rng.randrange(1000)))


def _org_number(rng: random.Random) -> str:
    return f"9{rng.randrange(10**7, 10**8)}"


def tidsbanken_sample(
    kunder: int = 12, avdelinger: int = 6, seed: int = 1
) -> dict[str, list[Record]]:
    """Tidsbanken records per entity, for ``TidsbankenStandIn.seed``.

    Kunde ids are customer numbers from 10001; every fifth customer is a private
    person without an organisation number (flows match those by name).
    Departments share the employer's organisation number and have ids 10, 20..;
    ``SistEndretDato`` values are labels as the API writes them.
    """
    rng = random.Random(seed)
    customers = []
    for i in range(kunder):
        base = _CUSTOMERS[i % len(_CUSTOMERS)]
        name = base + ("" if i < len(_CUSTOMERS) else f" {i}")
        private = i % 5 == 4
        city, code = rng.choice(_PLACES)
        delivery_city, delivery_code = rng.choice(_PLACES)
        domain = f"{fold(base)}.no"
        customers.append(
            {
                "Id": str(10001 + i),
                "Navn": f"{rng.choice(['Kari', 'Ola', 'Nora'])} {base.split()[0]}sen"
                if private
                else f"{name} AS",
                "Organisasjonsnummer": "" if private else _org_number(rng),
                "Epost": f"post@{domain}",
                "Telefon": str(rng.randrange(2 * 10**7, 8 * 10**7)),
                "Mobil": "" if rng.random() < 0.5 else f"9{rng.randrange(10**7)}",
                "Url": "" if private else f"https://{domain}",
                "Gateadresse": f"{rng.choice(_STREETS)} {rng.randrange(1, 80)}",
                "Postadresse": f"Postboks {rng.randrange(1, 900)}",
                "Postnr": code,
                "Poststed": city,
                "Leveringsadresse": f"Lagerveien {rng.randrange(1, 30)}",
                "Leveringsadresse2": "",
                "LevPostNr": delivery_code,
                "LevPoststed": delivery_city,
                "SistEndretDato": _label(rng),
            }
        )
    employer = _org_number(rng)
    departments = []
    for i, name in enumerate(_DEPARTMENTS[:avdelinger]):
        city, code = rng.choice(_PLACES)
        departments.append(
            {
                "Id": str(10 * (i + 1)),
                "Navn": name,
                "Adresse": f"{rng.choice(_STREETS)} {rng.randrange(1, 80)}",
                "Postnr": code,
                "Poststed": city,
                "Organisasjonsnr": employer,
                "Avdelingsleder": 100 + i,
                "Synlig": i != 3,
                "SistEndretDato": _label(rng),
            }
        )
    return {"Avdeling": departments, "Kunde": customers}
