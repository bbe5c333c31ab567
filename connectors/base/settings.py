"""``ConnectorSettings``: the settings every connector shares, read once at start-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Self, TypeVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.records import UTC_CLOCK, LocalClock, RecordLimits
from connectors.base.retry import RetryPolicy
from connectors.base.urls import secure_url
from connectors.errors import ConfigurationError
from schemas.text import DEFAULT_MAX_TEXT_CHARS

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT], **values: Any) -> SettingsT:
    """``cls`` from ``values`` and the environment, or one line saying what to fix.

    Every settings class of tether is read through this, so that a wrong or
    missing variable stops start-up with a ``ConfigurationError`` naming the
    environment variables, never a pydantic traceback.

    Raises:
        ConfigurationError: A value is missing or invalid. The message names the
            environment variables, never the values given (they may be secrets).
    """
    try:
        return cls(**values)
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", "")).upper()
        nested = str(cls.model_config.get("env_nested_delimiter") or "__")
        problems = "; ".join(
            f"{prefix}{nested.join(map(str, err['loc'])).upper() or 'settings'}: "
            f"{err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)
        )
        msg = f"{cls.__name__} is incomplete or invalid: {problems}"
        # The chained ValidationError would print the rejected input: a secret.
        raise ConfigurationError(msg) from None


class ConnectorSettings(BaseSettings):
    """Base of each ``{System}Settings``; subclasses set ``env_prefix`` and secrets.

    Settings are frozen, and secrets are ``SecretStr`` so that ``repr`` and
    ``public_dict`` never show them.

    Attributes:
        base_url: Root URL of the system's API, without a trailing slash.
        timeout: Seconds for each of connect/read/write/pool of one request.
        max_attempts: Attempts per request, the first included.
        max_retry_wait: Seconds one request may spend sleeping between retries.
        page_size: Records per page when listing.
        rate_limit_per_minute: Client-side cap on requests per sliding minute.
        max_text_chars: Characters one text field may hold; a longer value
            dead-letters its record before anything is written.
        max_future_seconds: How far ahead of now a record's modification time
            may lie (clock skew); later ones are dead-lettered, so that the
            change cursor never jumps into the future.
        max_delete_fraction: Types read as full listings report vanished
            records as deleted only while at most this share of them vanish at
            once (an empty or failed listing is never "everything was deleted").
    """

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", env_nested_delimiter="__"
    )

    base_url: str
    timeout: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    max_retry_wait: float = Field(default=60.0, ge=0)
    page_size: int = Field(default=100, ge=1)
    rate_limit_per_minute: int | None = Field(default=None, ge=1)
    max_text_chars: int = Field(default=DEFAULT_MAX_TEXT_CHARS, ge=1)
    max_future_seconds: float = Field(default=86_400.0, ge=0)
    max_delete_fraction: float = Field(default=0.5, ge=0, le=1)

    @field_validator("base_url")
    @classmethod
    def _safe_url(cls, value: str) -> str:
        return secure_url(value)

    @classmethod
    def load(cls, **values: Any) -> Self:
        """Build from ``values`` and the environment, or say what to set.

        Raises:
            ConfigurationError: See ``load_settings``.
        """
        return load_settings(cls, **values)

    def retry_policy(self) -> RetryPolicy:
        """The ``RetryPolicy`` these settings describe."""
        return RetryPolicy(max_attempts=self.max_attempts, max_wait=self.max_retry_wait)

    def record_limits(self) -> RecordLimits:
        """The ``RecordLimits`` these settings describe."""
        return RecordLimits(
            max_text_chars=self.max_text_chars,
            max_future=timedelta(seconds=self.max_future_seconds),
        )

    def clock(self, entity: str) -> LocalClock:
        """How ``entity``'s times relate to true UTC; systems with skew override it."""
        return UTC_CLOCK

    def public_dict(self) -> dict[str, Any]:
        """All settings as JSON-able values, secrets masked (for start-up logs)."""
        return self.model_dump(mode="json")
