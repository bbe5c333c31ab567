"""Local stand-ins of the systems' APIs: real HTTP servers on 127.0.0.1 for tests.

Each stand-in (``WebcrmStandIn``, ``CustomcrmStandIn``) serves the system's real
paths, auth, paging, errors and refusals from an in-memory store, with fault knobs
(latency, errors, hangs, rate limits, lost responses) in front. Tests drive it
through its handle (``seed``, ``records``, ``edit``, ``inject_raw``,
``write_count``, ``set_faults``, ``fail_next``); another process drives it through
``/_admin`` or ``RemoteStandIn``. ``tether standins`` runs both in the foreground.
"""

from __future__ import annotations

from standins._chargebee_sample import chargebee_sample
from standins.base import StandIn
from standins.chargebee import ChargebeeStandIn
from standins.crmoffice import CrmofficeStandIn
from standins.customcrm import CustomcrmStandIn
from standins.customrest import CustomRestStandIn
from standins.customwebshop import CustomwebshopStandIn
from standins.faults import FaultConfig
from standins.membercare import MembercareStandIn
from standins.remote import RemoteStandIn
from standins.sample_data import customcrm_overlap, webcrm_sample
from standins.sample_data_crmoffice import crmoffice_sample
from standins.sample_data_membercare import membercare_sample
from standins.sample_data_tidsbanken import tidsbanken_sample
from standins.store import WriteRecord
from standins.tidsbanken import TidsbankenStandIn
from standins.webcrm import WebcrmStandIn

__all__ = [
    "ChargebeeStandIn",
    "CrmofficeStandIn",
    "CustomRestStandIn",
    "CustomcrmStandIn",
    "CustomwebshopStandIn",
    "FaultConfig",
    "MembercareStandIn",
    "RemoteStandIn",
    "StandIn",
    "TidsbankenStandIn",
    "WebcrmStandIn",
    "WriteRecord",
    "chargebee_sample",
    "crmoffice_sample",
    "customcrm_overlap",
    "membercare_sample",
    "tidsbanken_sample",
    "webcrm_sample",
]
