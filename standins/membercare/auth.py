"""Membercare's token exchange: API key + person to impersonate -> ``token`` header."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from standins.membercare.fields import local_text


@dataclass
class _Grant:
    person: str
    expires_at: float


class TokenBook:
    """Issued tokens and their lifetime (a runtime knob for tests)."""

    def __init__(self, api_key: str, api_users: set[str], ttl_s: float) -> None:
        self.api_key = api_key
        self.api_users = set(api_users)
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._tokens: dict[str, _Grant] = {}

    def issue(self, api_key: str, person: str) -> dict[str, Any] | None:
        """``{"value", "expiration"}`` for a known key and API user, else None.

        ``expiration`` is local time without an offset, as Membercare sends it.
        """
        if api_key != self.api_key or person not in self.api_users:
            return None
        value = str(uuid.uuid4())
        with self._lock:
            self._tokens[value] = _Grant(person, time.monotonic() + self.ttl_s)
        expires = datetime.now(UTC) + timedelta(seconds=self.ttl_s)
        return {"value": value, "expiration": local_text(expires)}

    def person_of(self, token: str) -> str | None:
        """The impersonated person behind a live token; None if unknown or expired."""
        with self._lock:
            grant = self._tokens.get(token)
            if grant is None or time.monotonic() >= grant.expires_at:
                return None
            return grant.person

    def expire_all(self) -> None:
        """Make every issued token expire now."""
        with self._lock:
            for grant in self._tokens.values():
                grant.expires_at = 0.0

    def clear(self) -> None:
        """Forget every issued token."""
        with self._lock:
            self._tokens.clear()
