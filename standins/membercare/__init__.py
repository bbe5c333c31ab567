"""The Membercare stand-in (systems.md 5, 9.4)."""

from __future__ import annotations

from standins.membercare.app import DEFAULT_API_KEY, MembercareStandIn
from standins.membercare.fields import MEMBERCARE_TZ
from standins.membercare.sample_data import countries, membercare_sample

__all__ = [
    "DEFAULT_API_KEY",
    "MEMBERCARE_TZ",
    "countries",
    "membercare_sample",
    "MembercareStandIn",
]
