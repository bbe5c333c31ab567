"""Customcrm's routes: the custom REST contract's, for its resources, and no others."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from standins.customrest.routes import resource_routes

if TYPE_CHECKING:
    from standins.customcrm.app import CustomcrmStandIn


def customcrm_routes(sim: CustomcrmStandIn) -> list[BaseRoute]:
    """List, get, create, put and delete per resource (systems.md 9.6)."""
    return resource_routes(sim)
