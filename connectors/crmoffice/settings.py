"""``CrmofficeSettings``: OAuth2 client, and switches for what is only assumed."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from connectors.base.records import LocalClock
from connectors.base.settings import ConnectorSettings
from connectors.base.urls import secure_url


class CrmofficeSettings(ConnectorSettings):
    """Crmoffice connection settings, from ``CRMOFFICE_*`` environment variables.

    Only the token endpoint, the four list endpoints and their field names are
    known (systems.md 6). Each **[assumption]** beyond that is a switch, so a
    deployment can turn off what the real API turns out not to have.

    Attributes:
        token_url: OAuth2 token endpoint; ``{base_url}/connect/token`` when unset
            (the real one is ``https://sesam.crmoffice.no/connect/token``).
        client_id: OAuth2 client id.
        client_secret: OAuth2 client secret.
        refresh_token: A refresh token from the authorization-code consent. When
            set, tokens are refreshed with it (and a rotated one is kept in
            memory); otherwise the client-credentials grant is used.
        scope: Requested scopes.
        updated_since: [assumption] records have ``updatedAt`` and lists take
            ``?updatedSince=``. Off: every read lists everything and reports
            what changed since the previous listing (kept in the cursor).
        paging: [assumption] lists take ``page``/``pageSize``. Off: one request
            answers everything.
        writes: [assumption] ``POST /{res}`` and ``PUT /{res}/{id}`` exist. Off:
            every type is lookup-only.
        clock_skew_seconds: How far Crmoffice's clock lags behind true time.
        page_size: Records per page (at most 500).
        token_refresh_margin: Seconds before expiry at which a token is renewed.
    """

    model_config = SettingsConfigDict(env_prefix="CRMOFFICE_")

    base_url: str = "https://api.crmoffice.no"
    token_url: str | None = None
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    refresh_token: SecretStr | None = None
    scope: str = "crmoffice offline_access"
    updated_since: bool = True
    paging: bool = True
    writes: bool = True
    clock_skew_seconds: float = 0.0
    page_size: int = Field(default=100, ge=1, le=500)
    token_refresh_margin: float = Field(default=60.0, ge=0)

    @field_validator("token_url")
    @classmethod
    def _safe_token_url(cls, value: str | None) -> str | None:
        # The client secret and refresh token are posted there.
        return None if value is None else secure_url(value)

    @property
    def token_endpoint(self) -> str:
        """Where tokens come from."""
        return self.token_url or f"{self.base_url}/connect/token"

    def clock(self, entity: str) -> LocalClock:
        """Crmoffice writes UTC with offsets, ``clock_skew_seconds`` behind."""
        return LocalClock(skew=timedelta(seconds=self.clock_skew_seconds))
