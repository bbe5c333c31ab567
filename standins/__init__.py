"""Local stand-ins of the systems' APIs: real HTTP servers on 127.0.0.1 for tests.

Each stand-in (``WebcrmStandIn``, ``CustomcrmStandIn``) serves the system's real
paths, auth, paging, errors and refusals from an in-memory store, with fault knobs
(latency, errors, hangs, rate limits, lost responses) in front. Tests drive it
through its handle (``seed``, ``records``, ``edit``, ``inject_raw``,
``write_count``, ``set_faults``, ``fail_next``); another process drives it through
``/_admin`` or ``RemoteStandIn``. ``tether standins`` runs both in the foreground.

Layout: ``standins/<system>/`` per system with the same modules, ``app.py`` (the
``StandIn`` subclass), ``routes.py`` (its API routes), ``fields.py`` (record
shapes and validation) and ``sample_data.py``, plus what a system needs beyond
them (``auth.py``, Tidsbanken's ``odata.py``, Chargebee's ``form.py``...).
Customcrm and Customwebshop serve the contract in ``standins/customrest/``. The
machinery every stand-in shares (server, store, faults, admin, tokens, HTTP
helpers, the remote handle, the demo registry) sits at the top level.
"""

from __future__ import annotations

from standins.base import StandIn
from standins.chargebee import ChargebeeStandIn, chargebee_sample
from standins.crmoffice import CrmofficeStandIn, crmoffice_sample
from standins.customcrm import CustomcrmStandIn, customcrm_overlap
from standins.customrest import CustomRestStandIn
from standins.customwebshop import CustomwebshopStandIn, customwebshop_sample
from standins.faults import FaultConfig
from standins.membercare import MembercareStandIn, membercare_sample
from standins.remote import RemoteStandIn
from standins.store import WriteRecord
from standins.tidsbanken import TidsbankenStandIn, tidsbanken_sample
from standins.webcrm import WebcrmStandIn, webcrm_sample

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
    "customwebshop_sample",
    "membercare_sample",
    "tidsbanken_sample",
    "webcrm_sample",
]
