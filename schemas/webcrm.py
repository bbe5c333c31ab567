"""Webcrm wire models: Organisation, Person and Product as the REST API sends them.

Field names on the wire are PascalCase with the entity as prefix
(``OrganisationName``); the Python attributes are their snake_case forms.
Only the fields tether maps or needs are declared; the rest are ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, PositiveInt

from schemas.base import PascalCaseModel


class WebcrmModel(PascalCaseModel):
    """Base of the Webcrm models: PascalCase aliases; numbers accepted as text.

    Webcrm is loose with types in free-text fields (a VAT code sent as 25).
    """


PersonStatus = Literal["Active", "Resigned", "Other", "Guest", ""]
"""``PersonStatus`` is a closed set in the API (systems.md 4.2); empty when unset.
Anything else is a value tether cannot map faithfully, so the record is refused."""


class CountryData(WebcrmModel):
    """``OrganisationCountryData``: the country as ISO code and name (newer API)."""

    code_iso: str | None = Field(default=None, alias="CodeISO")
    name: str | None = None


class Organisation(WebcrmModel):
    """An organisation (``OrganisationDto``)."""

    organisation_id: PositiveInt
    organisation_name: str | None = None
    organisation_address: str | None = None
    organisation_post_code: str | None = None
    organisation_city: str | None = None
    organisation_state: str | None = None
    organisation_country: str | None = None
    organisation_telephone: str | None = None
    organisation_fax: str | None = None
    organisation_www: str | None = None
    organisation_domain: str | None = None
    organisation_vat_number: str | None = None
    organisation_type: str | None = None
    organisation_status: str | None = None
    organisation_owner: int | None = None
    organisation_comment: str | None = None
    organisation_delivery_address: str | None = None
    organisation_delivery_post_code: str | None = None
    organisation_delivery_city: str | None = None
    organisation_delivery_state: str | None = None
    organisation_company_description: str | None = None
    organisation_country_data: CountryData | None = None
    organisation_created_at: AwareDatetime | None = None
    organisation_created_by: str | None = None
    organisation_updated_at: AwareDatetime
    organisation_updated_by: str | None = None


class Person(WebcrmModel):
    """A person, linked to an organisation by ``PersonOrganisationId``."""

    person_id: PositiveInt
    person_organisation_id: int | None = None
    person_first_name: str | None = None
    person_middle_name: str | None = None
    person_last_name: str | None = None
    person_name: str | None = None
    person_title: str | None = None
    person_salutation: str | None = None
    person_email: str | None = None
    person_direct_phone: str | None = None
    person_mobile_phone: str | None = None
    person_status: PersonStatus | None = None
    person_created_at: AwareDatetime | None = None
    person_created_by: str | None = None
    person_updated_at: AwareDatetime
    person_updated_by: str | None = None


class Product(WebcrmModel):
    """A product registered on an organisation (installed-base style)."""

    product_id: PositiveInt
    product_organisation_id: int | None = None
    product_person_id: int | None = None
    product_combined: str | None = None
    product_comment: str | None = None
    product_cost_price: float | None = None
    product_list_price: float | None = None
    product_price: float | None = None
    product_discount: float | None = None
    product_quantity: float | None = None
    product_vat_code: str | None = None
    product_stock_status: str | None = None
    product_created_at: AwareDatetime | None = None
    product_created_by: str | None = None
    product_updated_at: AwareDatetime
    product_updated_by: str | None = None
