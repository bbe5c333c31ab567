"""The stand-ins the demo runs, each with realistic sample data: one entry per system.

An explicit registry: a system joins the demo by adding its stand-in factory and
seeding function here.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from standins.base import StandIn
from standins.chargebee import ChargebeeStandIn, chargebee_sample
from standins.crmoffice import CrmofficeStandIn, crmoffice_sample
from standins.customcrm import CustomcrmStandIn, customcrm_overlap
from standins.customwebshop import CustomwebshopStandIn
from standins.membercare import MembercareStandIn, membercare_sample
from standins.tidsbanken import TidsbankenStandIn, tidsbanken_sample
from standins.webcrm import WebcrmStandIn, webcrm_sample


@dataclass(frozen=True)
class DemoSystem:
    """How the demo starts and fills one system's stand-in."""

    make: Callable[[], StandIn]
    seed: Callable[[dict[str, StandIn]], None]


def _seed(standin: StandIn, data: dict[str, list[dict[str, Any]]]) -> None:
    for resource, records in data.items():
        standin.seed(resource, records)


def _seed_webcrm(standins: dict[str, StandIn]) -> None:
    data = webcrm_sample()
    _seed(standins["webcrm"], data)
    # A fifth of the organisations, their persons and products already exist in
    # Customcrm: the demo shows them matched and linked instead of duplicated.
    _seed(standins["customcrm"], customcrm_overlap(data))


def _seed_membercare(standins: dict[str, StandIn]) -> None:
    data = membercare_sample()
    _seed(standins["membercare"], data)
    # Chargebee business entities cannot be created through its API: the ones
    # named like Membercare companies are matched at the end of the chain
    # Membercare -> Customwebshop -> Chargebee; the others are reported.
    names = [c["companyName"] for c in data["Companies"][:6]] + ["Ukjent Holding AS"]
    _seed(standins["chargebee"], chargebee_sample(business_entities=names))


def _seed_crmoffice(standins: dict[str, StandIn]) -> None:
    _seed(standins["crmoffice"], crmoffice_sample())


def _seed_tidsbanken(standins: dict[str, StandIn]) -> None:
    _seed(standins["tidsbanken"], tidsbanken_sample())


def _seed_nothing(standins: dict[str, StandIn]) -> None:
    """Systems whose data arrives through other systems' seeds."""


DEMO_SYSTEMS: dict[str, DemoSystem] = {
    "webcrm": DemoSystem(WebcrmStandIn, _seed_webcrm),
    "customcrm": DemoSystem(CustomcrmStandIn, _seed_nothing),
    "membercare": DemoSystem(MembercareStandIn, _seed_membercare),
    "customwebshop": DemoSystem(CustomwebshopStandIn, _seed_nothing),
    "chargebee": DemoSystem(ChargebeeStandIn, _seed_nothing),
    "crmoffice": DemoSystem(CrmofficeStandIn, _seed_crmoffice),
    "tidsbanken": DemoSystem(TidsbankenStandIn, _seed_tidsbanken),
}


def start_demo_standins() -> dict[str, StandIn]:
    """Start every demo stand-in on a free port and seed it."""
    standins: dict[str, StandIn] = {}
    try:
        for system, demo in DEMO_SYSTEMS.items():
            standins[system] = demo.make().start()
        for demo in DEMO_SYSTEMS.values():
            demo.seed(standins)
    except BaseException:
        for standin in standins.values():
            standin.stop()
        raise
    return standins


def source_counts(standin: StandIn) -> dict[str, int]:
    """Live records per resource of a stand-in (soft-deleted ones left out)."""
    out: dict[str, int] = {}
    for resource in type(standin).all_resources():
        records: list[dict[str, Any]] = standin.records(resource)
        out[resource] = len([r for r in records if not r.get("Deleted")])
    return out


_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def export_lines(env: Mapping[str, str]) -> list[str]:
    """``export NAME=value`` lines a POSIX shell reads back as exactly ``env``.

    Values are shell-quoted: ``{"Avdeling":0.0,"Kunde":3600.0}`` unquoted would be
    brace-expanded into two words.
    """
    lines = []
    for name, value in env.items():
        if not _SHELL_NAME.fullmatch(name):
            msg = f"{name!r} is not a shell variable name"
            raise ValueError(msg)
        lines.append(f"export {name}={shlex.quote(value)}")
    return lines
