"""Local stand-ins of the systems' APIs: real HTTP servers on 127.0.0.1 for tests."""

from __future__ import annotations

from standins.base import StandIn
from standins.customcrm import CustomcrmStandIn
from standins.customrest import CustomRestStandIn
from standins.faults import FaultConfig
from standins.store import WriteRecord
from standins.webcrm import WebcrmStandIn

__all__ = [
    "CustomRestStandIn",
    "CustomcrmStandIn",
    "FaultConfig",
    "StandIn",
    "WebcrmStandIn",
    "WriteRecord",
]
