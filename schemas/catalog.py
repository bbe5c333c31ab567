"""The seven systems and the entity types tether knows, with their display names.

System ids are lower-case single words (``customwebshop``); display names are how
the dataflow documents spell them. Other spellings seen in the wild are aliases.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SystemInfo:
    """A system's id, its display name in documents, and its entity types."""

    id: str
    display: str
    types: tuple[str, ...]
    aliases: tuple[str, ...] = field(default=())


SYSTEMS: dict[str, SystemInfo] = {
    info.id: info
    for info in (
        SystemInfo(
            "membercare",
            "Membercare",
            (
                "Companies",
                "Persons",
                "Organizations",
                "Invoices",
                "Products",
                "Countries",
            ),
            ("MemberCare",),
        ),
        SystemInfo(
            "customwebshop",
            "Customwebshop",
            ("Customer", "Order", "Product"),
            ("Custom Webshop", "CustomWebshop"),
        ),
        SystemInfo(
            "crmoffice",
            "Crmoffice",
            ("Companies", "Contacts", "Activities"),
            ("CRMOffice", "CrmOffice"),
        ),
        SystemInfo("tidsbanken", "Tidsbanken", ("Avdeling", "Kunde")),
        SystemInfo(
            "chargebee",
            "Chargebee",
            ("Business_entity", "Order", "Item", "Customer"),
        ),
        SystemInfo(
            "webcrm",
            "Webcrm",
            ("Organisations", "Persons", "Products"),
            ("WebCRM", "webCRM"),
        ),
        SystemInfo(
            "customcrm",
            "Customcrm",
            ("Customer", "Contact", "Product"),
            ("Custom CRM", "CustomCRM"),
        ),
    )
}


def system_by_name(name: str) -> SystemInfo | None:
    """Find a system by id, display name or alias, ignoring case and spaces."""
    wanted = name.replace(" ", "").lower()
    for info in SYSTEMS.values():
        spellings = (info.id, info.display, *info.aliases)
        if any(s.replace(" ", "").lower() == wanted for s in spellings):
            return info
    return None
