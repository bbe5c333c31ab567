"""A local stand-in of Customcrm, our own contract (systems.md 7 and 9.6, [assumption]).

Resources: ``customers`` (``C-``), ``contacts`` (``P-``), ``products`` (``PR-``). The
customer field set is the 2024-09 "Custom CRM Customer" schema plus ``VatNumber``
(the natural key the Webcrm flow matches on). No rate limit by default.
"""

from __future__ import annotations

from typing import ClassVar

from starlette.routing import BaseRoute

from standins.customcrm.fields import CUSTOMCRM_RESOURCES
from standins.customcrm.routes import customcrm_routes
from standins.customrest import CustomRestStandIn, ResourceSpec

DEFAULT_API_KEY = "standin-customcrm-key"


class CustomcrmStandIn(CustomRestStandIn):
    """Customcrm on 127.0.0.1: ``customers``, ``contacts``, ``products``."""

    system: ClassVar[str] = "customcrm"
    specs: ClassVar[dict[str, ResourceSpec]] = CUSTOMCRM_RESOURCES
    resources: ClassVar[tuple[str, ...]] = tuple(CUSTOMCRM_RESOURCES)
    default_api_key: ClassVar[str] = DEFAULT_API_KEY

    def api_routes(self) -> list[BaseRoute]:
        return customcrm_routes(self)
