"""Tidsbanken wire models: Kunde and Avdeling as the OData v3 API sends them.

Field names on the wire are Norwegian PascalCase (``Organisasjonsnummer``); the
Python attributes are their snake_case forms. ``Id`` is a string chosen by the
client. ``SistEndretDato`` carries a ``Z`` but Kunde's is known to be an hour off
true UTC (systems.md 3.1): the connector corrects it with its clock-skew setting.
"""

from __future__ import annotations

from pydantic import AwareDatetime

from schemas.base import NonEmptyStr, PascalCaseModel


class TidsbankenModel(PascalCaseModel):
    """Base of the Tidsbanken models: PascalCase aliases; numbers accepted as text."""


class Kunde(TidsbankenModel):
    """A customer (``prosjekt/Kunde``)."""

    id: NonEmptyStr
    navn: str | None = None
    organisasjonsnummer: str | None = None
    epost: str | None = None
    telefon: str | None = None
    mobil: str | None = None
    url: str | None = None
    gateadresse: str | None = None
    postadresse: str | None = None
    postnr: str | None = None
    poststed: str | None = None
    leveringsadresse: str | None = None
    leveringsadresse2: str | None = None
    lev_post_nr: str | None = None
    lev_poststed: str | None = None
    sist_endret_dato: AwareDatetime


class Avdeling(TidsbankenModel):
    """A department (``ansatt/avdeling``); ``Avdelingsleder`` is an employee id."""

    id: NonEmptyStr
    navn: str | None = None
    adresse: str | None = None
    postnr: str | None = None
    poststed: str | None = None
    organisasjonsnr: str | None = None
    avdelingsleder: int | None = None
    synlig: bool | None = None
    sist_endret_dato: AwareDatetime
