"""The webCRM stand-in (systems.md 4, 9.3)."""

from __future__ import annotations

from standins.webcrm.app import DEFAULT_AUTH_CODE, WebcrmStandIn
from standins.webcrm.sample_data import seed_webcrm, webcrm_sample

__all__ = ["DEFAULT_AUTH_CODE", "seed_webcrm", "webcrm_sample", "WebcrmStandIn"]
