"""Tidsbanken wire models: Norwegian PascalCase, string ids, labelled times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas.tidsbanken import Avdeling, Kunde

KUNDE = {
    "Id": "10001",
    "Navn": "Fjord Bygg AS",
    "Organisasjonsnummer": 912345678,
    "LevPostNr": "0580",
    "Leveringsadresse2": "",
    "SistEndretDato": "2024-03-01T10:15:30.123Z",
    "sesam_kundeId": "ignored",
}


def test_kunde_reads_the_api_names() -> None:
    kunde = Kunde.model_validate(KUNDE)
    assert kunde.organisasjonsnummer == "912345678"
    assert kunde.sist_endret_dato == datetime(2024, 3, 1, 10, 15, 30, 123000, UTC)
    data = kunde.model_dump(mode="json", by_alias=True)
    assert data["LevPostNr"] == "0580"
    assert "sesam_kundeId" not in data


@pytest.mark.parametrize(
    "changes",
    [{"Id": None}, {"Id": ""}, {"SistEndretDato": None},
     {"SistEndretDato": "2024-03-01T10:15:30"}],
)  # fmt: skip
def test_kunde_needs_an_id_and_a_labelled_time(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Kunde.model_validate(KUNDE | changes)


def test_avdeling_types() -> None:
    avdeling = Avdeling.model_validate(
        {"Id": 10, "Navn": "Salg", "Avdelingsleder": 100, "Synlig": True,
         "SistEndretDato": "2024-03-01T10:15:30Z"}
    )  # fmt: skip
    assert (avdeling.id, avdeling.avdelingsleder) == ("10", 100)
    with pytest.raises(ValidationError):
        Avdeling.model_validate(
            {"Id": "10", "Synlig": "maybe", "SistEndretDato": "2024-03-01T10:15:30Z"}
        )
