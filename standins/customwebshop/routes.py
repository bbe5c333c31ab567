"""Customwebshop's routes: the custom REST contract's, for its resources, no others.

What is the shop's own (an order's lines, date, status and total) is checked by
the ``orders`` table in :mod:`standins.customwebshop.fields`, on the same routes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from standins.customrest.routes import resource_routes

if TYPE_CHECKING:
    from standins.customwebshop.app import CustomwebshopStandIn


def customwebshop_routes(sim: CustomwebshopStandIn) -> list[BaseRoute]:
    """List, get, create, put and delete per resource (systems.md 9.6)."""
    return resource_routes(sim)
