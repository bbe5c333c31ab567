"""The Crmoffice stand-in (systems.md 6, 9.5)."""

from __future__ import annotations

from standins.crmoffice.app import CrmofficeStandIn
from standins.crmoffice.sample_data import COUNTRY_SPELLINGS, crmoffice_sample

__all__ = ["COUNTRY_SPELLINGS", "crmoffice_sample", "CrmofficeStandIn"]
