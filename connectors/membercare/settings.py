"""``MembercareSettings``: the tenant, its API key, and how to read its local times."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from connectors.base.records import LocalClock
from connectors.base.settings import ConnectorSettings


class MembercareSettings(ConnectorSettings):
    """Membercare connection settings, from ``MEMBERCARE_*`` environment variables.

    Attributes:
        base_url: The tenant's API root, ``https://{tenant}.membercare.no/api``.
        api_key: ``clientApiKey`` exchanged at ``/v1/token`` for a token.
        person_to_impersonate: The debtor account number of the API user the
            token acts as (``personToImpersonate``).
        time_zone: The zone of the tenant's offset-less times (``lastChange``,
            token expiry); they are turned into UTC with it.
        clock_skew_seconds: How far the tenant's clock lags behind true time;
            added after the zone conversion.
        page_size: ``pageSize`` of each listing page (the default is 50).
        token_refresh_margin: Seconds before expiry at which the token is renewed.
    """

    model_config = SettingsConfigDict(env_prefix="MEMBERCARE_")

    api_key: SecretStr
    person_to_impersonate: str = Field(min_length=1)
    time_zone: str = "Europe/Oslo"
    clock_skew_seconds: float = 0.0
    page_size: int = Field(default=100, ge=1, le=1000)
    token_refresh_margin: float = Field(default=60.0, ge=0)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {value!r} (an IANA name like Europe/Oslo)"
            raise ValueError(msg) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The tenant's time zone."""
        return ZoneInfo(self.time_zone)

    def clock(self, entity: str) -> LocalClock:
        """The tenant's local times (``time_zone``), ``clock_skew_seconds`` behind."""
        return LocalClock(self.zone, timedelta(seconds=self.clock_skew_seconds))
