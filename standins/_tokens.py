"""Issued access tokens that expire: the part every token-based stand-in shares."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class _Grant:
    owner: str
    expires_at: float


class AccessTokens:
    """Live access tokens and whom each was issued to, with a runtime TTL knob.

    ``ttl_s`` is the lifetime of tokens issued from now on (tests shorten it);
    ``reset`` forgets every token and restores the lifetime the stand-in began with.
    """

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._initial_ttl_s = ttl_s
        self._lock = threading.Lock()
        self._access: dict[str, _Grant] = {}

    def grant(self, token: str, owner: str) -> None:
        """Make ``token`` live for ``ttl_s`` seconds, on behalf of ``owner``."""
        with self._lock:
            self._access[token] = _Grant(owner, time.monotonic() + self.ttl_s)

    def owner_of(self, token: str) -> str | None:
        """Whom a live token was issued to; None if unknown or expired."""
        with self._lock:
            grant = self._access.get(token)
            if grant is None or time.monotonic() >= grant.expires_at:
                return None
            return grant.owner

    def expire_all(self) -> None:
        """Make every issued access token expire now (refresh tokens stay valid)."""
        with self._lock:
            for grant in self._access.values():
                grant.expires_at = 0.0

    def clear(self) -> None:
        """Forget every issued token."""
        with self._lock:
            self._access.clear()

    def reset(self) -> None:
        """Forget every token and go back to the initial lifetime."""
        self.clear()
        self.ttl_s = self._initial_ttl_s
