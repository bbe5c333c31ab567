"""``TidsbankenClient``: the APIM gateway headers, and Tidsbanken's entity types."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.base.entity import EntitySpec
from connectors.base.protocols import Capabilities
from connectors.base.ratelimit import SlidingWindowLimiter
from connectors.tidsbanken.settings import TidsbankenSettings
from schemas.envelope import ChangeEvent
from schemas.tidsbanken import Avdeling, Kunde

SYSTEM = "tidsbanken"
TIME_FIELD = "SistEndretDato"

_WRITABLE = Capabilities(create=True, update=True, delete=False)

ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec("Avdeling", "ansatt/avdeling", Avdeling, "Id", TIME_FIELD, _WRITABLE),
    EntitySpec("Kunde", "prosjekt/Kunde", Kunde, "Id", TIME_FIELD, _WRITABLE),
)
"""Tidsbanken's types. Both are created with a client-chosen ``Id`` and updated
(Kunde by ``PUT`` of an array, Avdeling by ``PATCH``); nothing can be deleted."""


class TidsbankenAuth:
    """Sends ``tb-key``, ``Ocp-Apim-Subscription-Key`` and ``x-api-version``.

    Static keys cannot be renewed, so a 401 stands (``AuthenticationError``).
    """

    def __init__(
        self, tb_key: SecretStr, subscription_key: SecretStr, api_version: str
    ) -> None:
        self._tb_key = tb_key
        self._subscription_key = subscription_key
        self._api_version = api_version

    def __repr__(self) -> str:
        return "TidsbankenAuth(tb_key=SecretStr('**********'), ...)"

    async def apply(self, request: httpx.Request, client: HttpClient) -> None:
        """Set the three gateway headers."""
        request.headers["tb-key"] = self._tb_key.get_secret_value()
        request.headers["Ocp-Apim-Subscription-Key"] = (
            self._subscription_key.get_secret_value()
        )
        request.headers["x-api-version"] = self._api_version

    async def refresh(self, client: HttpClient) -> bool:
        """Nothing to renew."""
        return False


def skew_of(settings: TidsbankenSettings, entity: str) -> timedelta:
    """How far ``entity``'s ``SistEndretDato`` lags behind true UTC."""
    return timedelta(seconds=settings.clock_skew_seconds.get(entity, 0.0))


def corrected(event: ChangeEvent, skew: timedelta) -> ChangeEvent:
    """``event`` with its modification time moved from the label to true UTC."""
    if not skew:
        return event
    return event.model_copy(update={"modified_at": event.modified_at + skew})


class TidsbankenClient(HttpClient):
    """The Tidsbanken ``HttpClient`` (gateway headers, JSON).

    Args:
        settings: Tidsbanken settings.
        transport: An httpx transport (tests).
        **overrides: Further ``HttpClient`` arguments (``sleep``, ``now``, ``rng``).
    """

    def __init__(
        self,
        settings: TidsbankenSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> None:
        limit = settings.rate_limit_per_minute
        super().__init__(
            system=SYSTEM,
            base_url=settings.base_url,
            auth=TidsbankenAuth(
                settings.tb_key, settings.subscription_key, settings.api_version
            ),
            retry=settings.retry_policy(),
            timeout=settings.timeout,
            limiter=SlidingWindowLimiter(limit) if limit else None,
            transport=transport,
            **overrides,
        )
