"""``TidsbankenSettings``: the gateway keys, API version and Kunde's clock skew."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from connectors.base.records import LocalClock
from connectors.base.settings import ConnectorSettings


class TidsbankenSettings(ConnectorSettings):
    """Tidsbanken connection settings, from ``TIDSBANKEN_*`` environment variables.

    Attributes:
        tb_key: ``tb-key``: selects the customer database (test or production).
        subscription_key: ``Ocp-Apim-Subscription-Key`` of the developer portal.
        api_version: Sent as ``x-api-version``.
        clock_skew_seconds: Per entity, how far ``SistEndretDato`` lags behind
            true UTC; added to it to get the real modification time. Kunde's is
            an hour off (Sesam shifts it +1 h, systems.md 3.1), Avdeling's is not.
            From the environment as JSON: ``{"Kunde": 3600}``.
        page_size: ``$top`` of each page (the API takes at most 1000).
        id_prefix: Start of the ``Id`` tether chooses when it creates an entity
            (Tidsbanken ids are the client's; the rest is derived from the
            idempotency key, so a retried create reuses the same ``Id``).
    """

    model_config = SettingsConfigDict(env_prefix="TIDSBANKEN_")

    base_url: str = "https://api.tidsbanken.net"
    tb_key: SecretStr
    subscription_key: SecretStr
    api_version: str = "3.0"
    clock_skew_seconds: dict[str, float] = Field(
        default_factory=lambda: {"Kunde": 3600.0, "Avdeling": 0.0}
    )
    page_size: int = Field(default=100, ge=1, le=1000)
    id_prefix: str = Field(default="tether-", max_length=20)

    def clock(self, entity: str) -> LocalClock:
        """``entity``'s ``SistEndretDato`` is UTC plus its skew."""
        return LocalClock(
            skew=timedelta(seconds=self.clock_skew_seconds.get(entity, 0.0))
        )
