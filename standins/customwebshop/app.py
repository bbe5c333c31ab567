"""A local stand-in of Customwebshop, our own contract (systems.md 7, 9.6).

Resources: ``customers`` (``C-``), ``orders`` (``O-``), ``products`` (``PR-``), on
the generic custom REST contract of :mod:`standins.customrest`, with the order
checks of :mod:`standins.customwebshop.fields`. No rate limit by default.
"""

from __future__ import annotations

from typing import ClassVar

from starlette.routing import BaseRoute

from standins.customrest import CustomRestStandIn, ResourceSpec
from standins.customwebshop.fields import CUSTOMWEBSHOP_RESOURCES
from standins.customwebshop.routes import customwebshop_routes

DEFAULT_API_KEY = "standin-customwebshop-key"


class CustomwebshopStandIn(CustomRestStandIn):
    """Customwebshop on 127.0.0.1: ``customers``, ``orders``, ``products``."""

    system: ClassVar[str] = "customwebshop"
    specs: ClassVar[dict[str, ResourceSpec]] = CUSTOMWEBSHOP_RESOURCES
    resources: ClassVar[tuple[str, ...]] = tuple(CUSTOMWEBSHOP_RESOURCES)
    default_api_key: ClassVar[str] = DEFAULT_API_KEY

    def api_routes(self) -> list[BaseRoute]:
        return customwebshop_routes(self)
