"""Crmoffice wire models: companies, contacts, activities and users.

Field names on the wire are camelCase. Only the field names come from public
sources (the Sesam connector and Talk documents, systems.md 6 and 9.5); ``name``,
``email`` and ``phone`` on companies and ``updatedAt`` everywhere are
**assumptions**, so ``updatedAt`` is optional here: the connector decides what a
missing one means. Country values are
free text ("Norge", "Norway", "NO").
"""

from __future__ import annotations

from pydantic import AwareDatetime

from schemas.base import CamelCaseModel, NonEmptyStr


class CrmofficeModel(CamelCaseModel):
    """Base of the Crmoffice models: camelCase aliases; numbers accepted as text."""


class Address(CrmofficeModel):
    """A postal or visiting address; ``country`` is free text."""

    street_address: str | None = None
    post_code: str | None = None
    postal_area: str | None = None
    country: str | None = None


class CompanyRef(CrmofficeModel):
    """A reference to a company (``{"id": "c-100"}``)."""

    id: str | None = None


class Company(CrmofficeModel):
    """A company; ``orgNr`` is its natural key."""

    id: NonEmptyStr
    name: str | None = None
    org_nr: str | None = None
    email: str | None = None
    phone: str | None = None
    post_address: Address | None = None
    visit_address: Address | None = None
    updated_at: AwareDatetime | None = None


class Contact(CrmofficeModel):
    """A contact person at a company."""

    id: NonEmptyStr
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    direct_phone: str | None = None
    mobile_phone: str | None = None
    company: CompanyRef | None = None
    updated_at: AwareDatetime | None = None


class Activity(CrmofficeModel):
    """A meeting or task; its ``address.country`` feeds the Countries flow."""

    id: NonEmptyStr
    subject: str | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    owner_id: str | None = None
    address: Address | None = None
    updated_at: AwareDatetime | None = None


class User(CrmofficeModel):
    """A Crmoffice user (Sesam keys them by ``userName``)."""

    id: NonEmptyStr
    user_name: str | None = None
    name: str | None = None
    email: str | None = None
