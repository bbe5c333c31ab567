"""Settings refuse URLs that would send credentials in the clear or elsewhere."""

from __future__ import annotations

import pytest

from connectors.base.settings import load_settings
from connectors.chargebee.settings import ChargebeeSettings
from connectors.crmoffice.settings import CrmofficeSettings
from connectors.errors import ConfigurationError
from connectors.webcrm.settings import WebcrmSettings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("TETHER_PLAIN_HTTP_HOSTS", "WEBCRM_BASE_URL", "CHARGEBEE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _refusal(cls, **values) -> str:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(cls, **values)
    message = str(caught.value)
    assert "\n" not in message  # one line
    return message


def test_http_base_url_for_a_remote_host_is_refused():
    message = _refusal(WebcrmSettings, base_url="http://api.webcrm.com", api_token="t")
    assert message == (
        "WebcrmSettings is incomplete or invalid: WEBCRM_BASE_URL: Value error,"
        " must use https:// for api.webcrm.com (plain http only for loopback"
        " addresses or hosts named in TETHER_PLAIN_HTTP_HOSTS)"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://127.3.4.5/api",
        "http://localhost:9000/",
        "http://[::1]:8000",
        "https://api.webcrm.com/",
    ],
)
def test_https_and_loopback_http_are_accepted(url):
    settings = load_settings(WebcrmSettings, base_url=url, api_token="t")
    assert settings.base_url == url.rstrip("/")


def test_a_named_private_host_may_use_http(monkeypatch):
    monkeypatch.setenv("TETHER_PLAIN_HTTP_HOSTS", "standins, other")
    settings = load_settings(
        WebcrmSettings, base_url="http://standins:8001", api_token="t"
    )
    assert settings.base_url == "http://standins:8001"
    _refusal(WebcrmSettings, base_url="http://stand-ins:8001", api_token="t")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://api.webcrm.com", "must be an https:// URL with a host name"),
        ("api.webcrm.com", "must be an https:// URL with a host name"),
        ("https://user:pw@api.webcrm.com", "must not carry a user name or password"),
        ("https://api.webcrm.com/?key=1", "must not have a query string"),
    ],
)
def test_malformed_base_urls_are_refused(url, says):
    message = _refusal(WebcrmSettings, base_url=url, api_token="t")
    assert says in message
    assert "pw" not in message.replace("password", "")


@pytest.mark.parametrize(
    "site", ["acme.chargebee.com", "https://acme", "Acme", "acme-", "evil.com/x?", ""]
)
def test_a_bad_chargebee_site_name_is_refused(site):
    message = _refusal(ChargebeeSettings, site=site, api_key="k")
    assert message.startswith(
        "ChargebeeSettings is incomplete or invalid: CHARGEBEE_SITE: Value error,"
        " must be the site's name only, e.g. acme-test"
    )


def test_a_good_chargebee_site_name_makes_the_base_url():
    settings = load_settings(ChargebeeSettings, site="acme-test", api_key="k")
    assert settings.base_url == "https://acme-test.chargebee.com/api/v2"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://login.crmoffice.no/connect/token", "must use https:// for login."),
        ("https://login.crmoffice.no/token?x=1", "must not have a query string"),
        ("login.crmoffice.no/connect/token", "must be an https:// URL"),
    ],
)
def test_a_bad_crmoffice_token_url_is_refused(url, says):
    message = _refusal(
        CrmofficeSettings, token_url=url, client_id="c", client_secret="s"
    )
    assert "CRMOFFICE_TOKEN_URL: Value error, " + says in message


def test_a_loopback_crmoffice_token_url_is_accepted():
    settings = load_settings(
        CrmofficeSettings,
        base_url="http://127.0.0.1:9",
        token_url="http://127.0.0.1:9/connect/token",
        client_id="c",
        client_secret="s",
    )
    assert settings.token_endpoint == "http://127.0.0.1:9/connect/token"
