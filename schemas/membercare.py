"""Membercare wire models: debtors (companies, persons), organizations, invoices, ...

Field names on the wire are camelCase (``debtorAccountNumber``); the Python
attributes are their snake_case forms. Enums are integers, as the API sends them.
Times (``lastChange``, ``birthDate``, ...) come **without an offset**: they are the
tenant's local time (Europe/Oslo). The models keep them naive; the connector turns
``lastChange`` into UTC with its time-zone setting (systems.md 5.1, 8.1).
Only the fields tether maps or needs are declared; the rest are ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from schemas.base import CamelCaseModel, NonEmptyStr


class MembercareModel(CamelCaseModel):
    """Base of the Membercare models: camelCase aliases; numbers accepted as text."""


class Category(MembercareModel):
    """A company or organization category (``{id, description, valid}``)."""

    id: int | None = None
    description: str | None = None
    valid: bool | None = None


class BusinessNumbers(MembercareModel):
    """A company's registration numbers; ``vat`` is the one flows use."""

    cvr: str | None = None
    se: str | None = None
    vat: str | None = None
    rut: str | None = None
    p: str | None = None


class PostalCode(MembercareModel):
    """``postalCode`` of an address."""

    id: int | None = None
    zip_code: str | None = None
    city: str | None = None


class Country(MembercareModel):
    """A country (``/addresses/countries``); also nested in addresses.

    ``iso3Letter`` is "currently not supported by Membercare" and mostly null.
    """

    url: str | None = None
    id: int | None = None
    iso2_letter: str | None = None
    iso3_letter: str | None = None
    name: str | None = None


class PostalAddress(MembercareModel):
    """A postal address of a debtor or organization."""

    id: int | None = None
    attention: str | None = None
    care_of: str | None = None
    street: str | None = None
    number: str | None = None
    letter: str | None = None
    floor: str | None = None
    suite: str | None = None
    location: str | None = None
    post_office_box: str | None = None
    postal_code: PostalCode | None = None
    country: Country | None = None
    start: datetime | None = None
    end: datetime | None = None
    address_type: int | None = None
    last_change: datetime | None = None


class ContactInfo(MembercareModel):
    """An e-mail address or phone number (``type`` is an integer enum)."""

    id: int | None = None
    type: int | None = None
    value: str | None = None
    start: datetime | None = None
    end: datetime | None = None


class Company(MembercareModel):
    """A company debtor, keyed by ``debtorAccountNumber``."""

    url: str | None = None
    id: int | None = None
    debtor_account_number: NonEmptyStr
    name: str | None = None
    company_name: str | None = None
    company_name2: str | None = None
    category: Category | None = None
    business_numbers: BusinessNumbers | None = None
    addresses: list[PostalAddress] = Field(default_factory=list)
    contacts: list[ContactInfo] = Field(default_factory=list)
    member_type: int | None = None
    finance_type: int | None = None
    close_date: datetime | None = None
    close_reason: str | None = None
    einvoice_ean: str | None = None
    einvoice_email: str | None = None
    default_address_type: int | None = None
    external_id: str | None = None
    public_establishment: bool | None = None
    last_change: datetime


class SocialSecurityNumber(MembercareModel):
    """A person's national identity number and the country that issued it."""

    number: str | None = None
    iso2_letter: str | None = None


class Person(MembercareModel):
    """A person debtor. Note ``firstname``/``lastname``: the PATCH body differs."""

    url: str | None = None
    id: int | None = None
    debtor_account_number: NonEmptyStr
    firstname: str | None = None
    lastname: str | None = None
    name: str | None = None
    gender: int | None = None
    birth_date: datetime | None = None
    honorific: str | None = None
    social_security_number: SocialSecurityNumber | None = None
    addresses: list[PostalAddress] = Field(default_factory=list)
    contacts: list[ContactInfo] = Field(default_factory=list)
    allow_sms: bool | None = None
    allow_email: bool | None = None
    member_type: int | None = None
    finance_type: int | None = None
    external_id: str | None = None
    last_change: datetime


class Debtor(MembercareModel):
    """An item of the ``/debtors?changedAfter=`` feed: the base of Person and Company.

    ``url`` is the self link, which says whether it is a person or a company.
    """

    url: str | None = None
    debtor_account_number: NonEmptyStr
    name: str | None = None
    last_change: datetime


class Organization(MembercareModel):
    """An organization (local chapter), keyed by ``identificationNumber``."""

    url: str | None = None
    id: int | None = None
    identification_number: NonEmptyStr
    name: str | None = None
    name2: str | None = None
    full_name: str | None = None
    membership_allowed: bool | None = None
    board_member_allowed: bool | None = None
    web_enabled: bool | None = None
    company_link: str | None = None
    organization_category: Category | None = None
    addresses: list[PostalAddress] = Field(default_factory=list)
    contacts: list[ContactInfo] = Field(default_factory=list)
    start_date: datetime | None = None
    end_date: datetime | None = None


class DebtorRef(MembercareModel):
    """A debtor as an invoice names it (payer, receiver)."""

    url: str | None = None
    debtor_account_number: str | None = None
    name: str | None = None


class InvoiceItem(MembercareModel):
    """One invoice line."""

    id: int | None = None
    description: str | None = None
    unit_price: float | None = None
    quantity: float | None = None
    total_price: float | None = None
    total_vat: float | None = None
    sequence: int | None = None
    is_credited: bool | None = None


class Invoice(MembercareModel):
    """An invoice; only ``financeStatus`` (-1..3) can be changed through the API."""

    url: str | None = None
    id: int
    payer: DebtorRef | None = None
    send_invoice_to: DebtorRef | None = None
    finance_status: int | None = None
    finance_date: datetime | None = None
    pay_due_date: datetime | None = None
    income_date: datetime | None = None
    credited_invoice_id: int | None = None
    invoice_items: list[InvoiceItem] = Field(default_factory=list)
    payments: list[Any] = Field(default_factory=list)


class Product(MembercareModel):
    """A product (read-only through the API)."""

    url: str | None = None
    id: int
    name: str | None = None
    vat_percent: float | None = None
    not_on_invoice_if_zero: bool | None = None
    valid: bool | None = None


class Token(MembercareModel):
    """``GET /api/v1/token``: the token value and its local expiry time."""

    value: NonEmptyStr
    expiration: datetime | None = None


class Page(MembercareModel):
    """The paged list envelope; ``result`` is validated per record by the source."""

    total_count: int | None = None
    total_pages: int | None = None
    previous_page_url: str | None = None
    next_page_url: str | None = None
    result: list[Any]
