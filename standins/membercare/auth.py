"""Membercare's token exchange: API key + person to impersonate -> ``token`` header."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from standins._tokens import AccessTokens
from standins.membercare.fields import local_text


class TokenBook(AccessTokens):
    """Issued tokens and their lifetime (a runtime knob for tests)."""

    def __init__(self, api_key: str, api_users: set[str], ttl_s: float) -> None:
        super().__init__(ttl_s)
        self.api_key = api_key
        self.api_users = set(api_users)

    def issue(self, api_key: str, person: str) -> dict[str, Any] | None:
        """``{"value", "expiration"}`` for a known key and API user, else None.

        ``expiration`` is local time without an offset, as Membercare sends it.
        """
        if api_key != self.api_key or person not in self.api_users:
            return None
        value = str(uuid.uuid4())
        self.grant(value, person)
        expires = datetime.now(UTC) + timedelta(seconds=self.ttl_s)
        return {"value": value, "expiration": local_text(expires)}

    def person_of(self, token: str) -> str | None:
        """The impersonated person behind a live token; None if unknown or expired."""
        return self.owner_of(token)
