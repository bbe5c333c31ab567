"""Tokens that every worker of a deployment shares: one renewal at a time.

Some systems rotate their refresh tokens (Crmoffice, like IdentityServer): each
refresh answers a new refresh token and spends the old one. Kept in one
process's memory, the rotated token is lost at a restart, and a second worker
refreshing with the same token gets ``invalid_grant``. A ``GrantStore`` keeps
the latest grant where every worker of the deployment finds it and lets exactly
one of them renew each generation (the store's implementation lives with the
broker, in ``streams.grants``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pydantic import SecretStr


@dataclass(frozen=True)
class Grant:
    """One generation of a system's tokens.

    Attributes:
        access_token: Sent with each request.
        expires_at: Wall-clock seconds (epoch) at which it expires: workers on
            different hosts compare it, so not a monotonic time.
        refresh_token: For the next renewal (spent by it when tokens rotate).
        generation: 1 for the first grant of a seed, then one more per renewal.
        seed: Fingerprint of the configured refresh token this chain started
            from: a new consent (another configured token) starts a new chain.
    """

    access_token: SecretStr
    expires_at: float
    refresh_token: SecretStr | None
    generation: int
    seed: str

    def __repr__(self) -> str:
        return f"Grant(generation={self.generation}, expires_at={self.expires_at:.0f})"


def fingerprint(token: SecretStr | None) -> str:
    """A short digest of a configured refresh token (never the token itself)."""
    if token is None:
        return "none"
    digest = hashlib.sha256(token.get_secret_value().encode()).hexdigest()
    return digest[:16]


Renewal = Callable[[Grant | None], Awaitable[Grant]]
"""Runs the grant after the given one (``None``: from the configured token)."""


class GrantStore(Protocol):
    """Where the workers of a deployment share a system's latest grant."""

    async def latest(self) -> Grant | None:
        """The newest grant any worker saved, if any."""

    async def renew(self, seed: str, after: Grant | None, renewal: Renewal) -> Grant:
        """The grant that follows ``after`` in the chain of ``seed``: made by
        ``renewal`` in one worker of the deployment at a time, read by the others.

        Raises:
            AuthenticationError: The renewal was refused.
            TransientError: The store or the renewal is out of reach for now.
        """


@runtime_checkable
class SharesGrants(Protocol):
    """An ``Auth`` whose renewals must go through a deployment's ``GrantStore``."""

    @property
    def rotates(self) -> bool:
        """Whether each renewal spends the token it was made with."""

    def share(self, store: GrantStore) -> None:
        """Renew through ``store`` from now on."""

    def store_secret(self) -> SecretStr:
        """The secret the store encrypts grants with: the client's own, so that
        only whoever may log in anyway can read them."""
