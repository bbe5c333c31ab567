"""``WebcrmSettings``: where Webcrm is and the app token to log in with."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from connectors.base.settings import ConnectorSettings


class WebcrmSettings(ConnectorSettings):
    """Webcrm connection settings, from ``WEBCRM_*`` environment variables.

    Attributes:
        api_token: The application token (``authCode``) exchanged at
            ``/Auth/ApiLogin`` for an access token.
        rate_limit_per_minute: Webcrm allows 250 requests per sliding minute
            per token; the client stays under it.
        token_refresh_margin: Seconds before expiry at which the access token
            is renewed, so a request never leaves with a token about to die.
    """

    model_config = SettingsConfigDict(env_prefix="WEBCRM_")

    base_url: str = "https://api.webcrm.com"
    api_token: SecretStr
    rate_limit_per_minute: int | None = Field(default=250, ge=1)
    token_refresh_margin: float = Field(default=60.0, ge=0)
