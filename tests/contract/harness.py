"""Per-system facts the contract suite needs: stand-in, settings, sample records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from connectors.base.settings import ConnectorSettings
from connectors.chargebee import ChargebeeSettings
from connectors.crmoffice import CrmofficeSettings
from connectors.customcrm import CustomcrmSettings
from connectors.customwebshop import CustomwebshopSettings
from connectors.membercare import MembercareSettings
from connectors.tidsbanken import TidsbankenSettings
from connectors.webcrm import WebcrmSettings
from standins import (
    ChargebeeStandIn,
    CrmofficeStandIn,
    CustomcrmStandIn,
    CustomwebshopStandIn,
    MembercareStandIn,
    StandIn,
    TidsbankenStandIn,
    WebcrmStandIn,
)


@dataclass(frozen=True)
class Harness:
    """How to drive one connector against its stand-in.

    Attributes:
        system: The registry key.
        standin: The stand-in class.
        settings: Settings pointing at a started stand-in.
        entity / resource: The main entity type and its stand-in table.
        deletable / deletable_resource: A type the API can delete (``None``
            when the API deletes nothing: Membercare, Crmoffice, Tidsbanken).
        record: The i-th sample record to seed (without id or times).
        new: A create body.
        key_field: A natural-key field ``find`` looks up.
        change: An update (one field) and ``kept``: a field it must not wipe.
        bad_row: A stored row the wire model refuses.
        time_field / instant: The modification-time field and a fixed value.
        credential: The settings field holding the secret.
        replays_creates: Whether a create repeated with the same idempotency
            key returns the first entity (Webcrm has no such key).
    """

    system: str
    standin: type[StandIn]
    settings: Callable[..., ConnectorSettings]
    entity: str
    resource: str
    deletable: str | None
    deletable_resource: str | None
    record: Callable[[int], dict[str, Any]]
    new: dict[str, Any]
    key_field: str
    change: dict[str, Any]
    kept: str
    bad_row: dict[str, Any]
    time_field: str
    instant: str
    credential: str
    replays_creates: bool


def _webcrm_settings(standin: StandIn, **values: Any) -> ConnectorSettings:
    assert isinstance(standin, WebcrmStandIn)
    options: dict[str, Any] = {
        "base_url": standin.url,
        "api_token": SecretStr(standin.auth_code),
        "page_size": 2,
        "timeout": 5.0,
    }
    return WebcrmSettings(**(options | values))


def _customcrm_settings(standin: StandIn, **values: Any) -> ConnectorSettings:
    assert isinstance(standin, CustomcrmStandIn)
    options: dict[str, Any] = {
        "base_url": standin.url,
        "api_key": SecretStr(standin.api_key),
        "page_size": 2,
        "timeout": 5.0,
    }
    return CustomcrmSettings(**(options | values))


def _customwebshop_settings(standin: StandIn, **values: Any) -> ConnectorSettings:
    assert isinstance(standin, CustomwebshopStandIn)
    options: dict[str, Any] = {
        "base_url": standin.url,
        "api_key": SecretStr(standin.api_key),
        "page_size": 2,
        "timeout": 5.0,
    }
    return CustomwebshopSettings(**(options | values))


def _chargebee_settings(standin: StandIn, **values: Any) -> ConnectorSettings:
    assert isinstance(standin, ChargebeeStandIn)
    options: dict[str, Any] = {
        "base_url": f"{standin.url}/api/v2",
        "api_key": SecretStr(standin.api_key),
        "page_size": 2,
        "timeout": 5.0,
    }
    return ChargebeeSettings(**(options | values))


def _membercare_settings(standin: StandIn, **values: Any) -> ConnectorSettings:
    assert isinstance(standin, MembercareStandIn)
    options: dict[str, Any] = {
        "base_url": f"{standin.url}/api",
        "api_key": SecretStr(standin.api_key),
        "person_to_impersonate": standin.api_user,
        "page_size": 2,
        "timeout": 5.0,
    }
    return MembercareSettings(**(options | values))


def _crmoffice_settings(standin: StandIn, **values: Any) -> ConnectorSettings:
    assert isinstance(standin, CrmofficeStandIn)
    options: dict[str, Any] = {
        "base_url": standin.url,
        "client_id": standin.oauth.client_id,
        "client_secret": SecretStr(standin.oauth.client_secret),
        "page_size": 2,
        "timeout": 5.0,
    }
    return CrmofficeSettings(**(options | values))


def _tidsbanken_settings(standin: StandIn, **values: Any) -> ConnectorSettings:
    assert isinstance(standin, TidsbankenStandIn)
    options: dict[str, Any] = {
        "base_url": standin.url,
        "tb_key": SecretStr(standin.tb_key),
        "subscription_key": SecretStr(standin.subscription_key),
        "page_size": 2,
        "timeout": 5.0,
    }
    return TidsbankenSettings(**(options | values))


def _chargebee_item(i: int) -> dict[str, Any]:
    return {
        "id": f"item-{i}",
        "name": f"Item {i}",
        "description": f"Item number {i}",
        "type": "charge",
        "item_family_id": "webshop-products",
    }


HARNESSES: dict[str, Harness] = {
    "webcrm": Harness(
        system="webcrm",
        standin=WebcrmStandIn,
        settings=_webcrm_settings,
        entity="Organisations",
        resource="Organisations",
        deletable="Products",
        deletable_resource="Products",
        record=lambda i: {
            "OrganisationName": f"Org {i}",
            "OrganisationVatNumber": f"NO{i:09d}MVA",
            "OrganisationCity": "Oslo",
        },
        new={
            "OrganisationName": "Fjord Bygg AS",
            "OrganisationVatNumber": "NO912345678MVA",
            "OrganisationCity": "Oslo",
        },
        key_field="OrganisationVatNumber",
        change={"OrganisationName": "Fjord Bygg og Anlegg AS"},
        kept="OrganisationCity",
        bad_row={
            "OrganisationId": 990,
            "OrganisationName": "bad",
            "OrganisationOwner": "nobody",
            "OrganisationUpdatedAt": "2024-03-01T11:15:30+01:00",
        },
        time_field="OrganisationUpdatedAt",
        instant="2024-03-01T11:15:30.0000000+01:00",
        credential="api_token",
        replays_creates=False,
    ),
    "customcrm": Harness(
        system="customcrm",
        standin=CustomcrmStandIn,
        settings=_customcrm_settings,
        entity="Customer",
        resource="customers",
        deletable="Product",
        deletable_resource="products",
        record=lambda i: {
            "Name": f"Customer {i}",
            "VatNumber": f"NO{i:09d}MVA",
            "City": "Oslo",
        },
        new={"Name": "Fjord Bygg AS", "VatNumber": "NO912345678MVA", "City": "Oslo"},
        key_field="VatNumber",
        change={"Name": "Fjord Bygg og Anlegg AS"},
        kept="City",
        bad_row={"Id": "C-990", "Name": "bad", "UpdatedAt": "yesterday"},
        time_field="UpdatedAt",
        instant="2024-03-01T10:15:30.000Z",
        credential="api_key",
        replays_creates=True,
    ),
    "customwebshop": Harness(
        system="customwebshop",
        standin=CustomwebshopStandIn,
        settings=_customwebshop_settings,
        entity="Customer",
        resource="customers",
        deletable="Product",
        deletable_resource="products",
        record=lambda i: {
            "Name": f"Customer {i}",
            "OrganizationNumber": f"9{i:08d}",
            "City": "Oslo",
        },
        new={
            "Name": "Fjord Bygg AS",
            "OrganizationNumber": "912345678",
            "City": "Oslo",
        },
        key_field="OrganizationNumber",
        change={"Name": "Fjord Bygg og Anlegg AS"},
        kept="City",
        bad_row={"Id": "C-990", "Name": "bad", "UpdatedAt": "yesterday"},
        time_field="UpdatedAt",
        instant="2024-03-01T10:15:30.000Z",
        credential="api_key",
        replays_creates=True,
    ),
    "chargebee": Harness(
        system="chargebee",
        standin=ChargebeeStandIn,
        settings=_chargebee_settings,
        entity="Item",
        resource="items",
        deletable="Item",
        deletable_resource="items",
        record=_chargebee_item,
        new={"id": "widget-pro", "name": "Widget Pro", "description": "A widget"},
        key_field="name",
        change={"name": "Widget Pro 2"},
        kept="description",
        bad_row={
            "id": "bad-item",
            "name": "bad",
            "is_shippable": "sometimes",
            "updated_at": 1709287200,
            "resource_version": 1709287200123,
        },
        time_field="updated_at",
        # Unix seconds; the stand-in's seed takes them as text too.
        instant="1709287200",
        credential="api_key",
        replays_creates=True,
    ),
    "membercare": Harness(
        system="membercare",
        standin=MembercareStandIn,
        settings=_membercare_settings,
        entity="Companies",
        resource="Companies",
        deletable=None,
        deletable_resource=None,
        record=lambda i: {
            "companyName": f"Company {i} AS",
            "einvoiceEmail": f"faktura{i}@example.no",
        },
        new={"companyName": "Fjord Bygg AS", "einvoiceEmail": "faktura@fjordbygg.no"},
        key_field="companyName",
        change={"companyName": "Fjord Bygg og Anlegg AS"},
        kept="einvoiceEmail",
        bad_row={
            "debtorAccountNumber": "990",
            "companyName": "bad",
            "memberType": "member",
            "lastChange": "2024-03-01T10:15:30",
        },
        time_field="lastChange",
        # Local time without offset, as Membercare writes it.
        instant="2024-03-01T10:15:30.123",
        credential="api_key",
        replays_creates=False,
    ),
    "crmoffice": Harness(
        system="crmoffice",
        standin=CrmofficeStandIn,
        settings=_crmoffice_settings,
        entity="Companies",
        resource="Companies",
        deletable=None,
        deletable_resource=None,
        record=lambda i: {
            "name": f"Company {i} AS",
            "orgNr": f"9{i:08d}",
            "email": f"post{i}@example.no",
        },
        new={"name": "Fjord Bygg AS", "orgNr": "912345678", "email": "post@fjord.no"},
        key_field="orgNr",
        change={"name": "Fjord Bygg og Anlegg AS"},
        kept="email",
        bad_row={"id": "c-990", "name": "bad", "updatedAt": "yesterday"},
        time_field="updatedAt",
        instant="2024-03-01T10:15:30.000Z",
        credential="client_secret",
        replays_creates=False,
    ),
    "tidsbanken": Harness(
        system="tidsbanken",
        standin=TidsbankenStandIn,
        settings=_tidsbanken_settings,
        entity="Kunde",
        resource="Kunde",
        deletable=None,
        deletable_resource=None,
        record=lambda i: {
            "Navn": f"Kunde {i}",
            "Organisasjonsnummer": f"9{i:08d}",
            "Poststed": "Oslo",
        },
        new={
            "Navn": "Fjord Bygg AS",
            "Organisasjonsnummer": "912345678",
            "Poststed": "Oslo",
        },
        key_field="Organisasjonsnummer",
        change={"Navn": "Fjord Bygg og Anlegg AS"},
        kept="Poststed",
        bad_row={"Id": "990", "Navn": "bad", "SistEndretDato": "yesterday"},
        time_field="SistEndretDato",
        instant="2024-03-01T10:15:30.123Z",
        credential="tb_key",
        # The client chooses Tidsbanken ids: tether derives them from the key.
        replays_creates=True,
    ),
}

DELETABLE_RECORD: dict[str, dict[str, Any]] = {
    "webcrm": {"ProductCombined": "Widget Pro", "ProductPrice": 499.0},
    "customcrm": {"Name": "Widget Pro", "Sku": "WP-1", "Price": 499.0},
    "customwebshop": {"Name": "Widget Pro", "Sku": "WP-1", "Price": 499.0},
    "chargebee": _chargebee_item(99),
}
