"""``ConnectorSettings``: validation, secrets hidden, configuration errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr, ValidationError

from connectors.base.records import LocalClock, RecordLimits
from connectors.base.retry import RetryPolicy
from connectors.base.settings import ConnectorSettings
from connectors.customcrm import CustomcrmSettings
from connectors.errors import ConfigurationError
from connectors.webcrm import WebcrmSettings

SECRET = "app-token-0b1c-secret"


def test_base_url_is_normalised() -> None:
    settings = ConnectorSettings(base_url="https://api.test/v1/")
    assert settings.base_url == "https://api.test/v1"


def test_base_url_needs_a_scheme() -> None:
    with pytest.raises(ValidationError, match="must be an https:// URL"):
        ConnectorSettings(base_url="api.test")


def test_settings_are_frozen() -> None:
    settings = ConnectorSettings(base_url="https://api.test")
    with pytest.raises(ValidationError):
        settings.timeout = 1.0  # type: ignore[misc]


def test_retry_policy_follows_the_settings() -> None:
    settings = ConnectorSettings(
        base_url="https://api.test", max_attempts=7, max_retry_wait=12.5
    )
    policy = settings.retry_policy()
    assert isinstance(policy, RetryPolicy)
    assert (policy.max_attempts, policy.max_wait) == (7, 12.5)


def test_secrets_are_hidden_from_repr_and_public_dict() -> None:
    settings = WebcrmSettings(api_token=SecretStr(SECRET))
    assert SECRET not in repr(settings)
    public = settings.public_dict()
    assert public["api_token"] == "**********"
    assert public["base_url"] == "https://api.webcrm.com"
    assert public["rate_limit_per_minute"] == 250
    assert SECRET not in str(public)
    assert settings.api_token.get_secret_value() == SECRET


def test_load_names_the_missing_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUSTOMCRM_BASE_URL", raising=False)
    monkeypatch.delenv("CUSTOMCRM_API_KEY", raising=False)
    with pytest.raises(ConfigurationError) as caught:
        CustomcrmSettings.load()
    text = str(caught.value)
    assert "CUSTOMCRM_BASE_URL: Field required" in text
    assert "CUSTOMCRM_API_KEY: Field required" in text
    assert caught.value.__cause__ is None


def test_load_never_echoes_the_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBCRM_API_TOKEN", SECRET)
    monkeypatch.setenv("WEBCRM_BASE_URL", f"ftp://{SECRET}")
    with pytest.raises(ConfigurationError) as caught:
        WebcrmSettings.load()
    assert "WEBCRM_BASE_URL" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert caught.value.__suppress_context__


def test_load_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTOMCRM_BASE_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("CUSTOMCRM_API_KEY", SECRET)
    monkeypatch.setenv("CUSTOMCRM_PAGE_SIZE", "25")
    settings = CustomcrmSettings.load()
    assert settings.base_url == "http://127.0.0.1:9"
    assert settings.page_size == 25
    assert settings.api_key.get_secret_value() == SECRET


def test_record_limits_clock_and_deletes_follow_the_settings() -> None:
    settings = ConnectorSettings(
        base_url="https://x.test",
        max_text_chars=5,
        max_future_seconds=90,
        max_delete_fraction=0.25,
    )
    assert settings.record_limits() == RecordLimits(5, timedelta(seconds=90))
    assert settings.clock("Anything") == LocalClock()
    assert settings.max_delete_fraction == 0.25
    with pytest.raises(ValidationError):
        ConnectorSettings(base_url="https://x.test", max_delete_fraction=2)
