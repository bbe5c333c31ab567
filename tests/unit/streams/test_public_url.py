"""``TETHER_PUBLIC_URL`` is refused over plain http except on this machine.

Webcrm's hook targets are ``{TETHER_PUBLIC_URL}/hooks/webcrm/{secret}``: every
delivery to an http URL would carry the secret in the clear.
"""

from __future__ import annotations

import pytest

from connectors.base.settings import load_settings
from connectors.errors import ConfigurationError
from ops.check.deployment import check_public_url, check_settings
from ops.check.findings import Outcome
from streams.settings import StreamSettings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("TETHER_PLAIN_HTTP_HOSTS", "TETHER_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)


def _refusal(url: str) -> str:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(StreamSettings, public_url=url)
    message = str(caught.value)
    assert "\n" not in message  # one line
    return message


def test_http_to_a_remote_host_is_refused():
    assert _refusal("http://tether.example.com/") == (
        "StreamSettings is incomplete or invalid: TETHER_PUBLIC_URL: Value error,"
        " must use https:// for tether.example.com (plain http only for loopback"
        " addresses or hosts named in TETHER_PLAIN_HTTP_HOSTS)"
    )


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("tether.example.com", "must be an https:// URL with a host name"),
        ("ftp://tether.example.com", "must be an https:// URL with a host name"),
        ("https://u:pw@tether.example.com", "must not carry a user name or password"),
        ("https://tether.example.com/?a=1", "must not have a query string"),
    ],
)
def test_malformed_public_urls_are_refused(url, says):
    message = _refusal(url)
    assert "TETHER_PUBLIC_URL" in message
    assert says in message


@pytest.mark.parametrize(
    "url",
    [
        "https://tether.example.com/",
        "https://tether.example.com/sync",
        "http://127.0.0.1:6066",
        "http://localhost:6066/",
        "http://[::1]:6066",
    ],
)
def test_https_and_loopback_http_are_accepted(url):
    settings = load_settings(StreamSettings, public_url=url)
    assert settings.public_url == url.rstrip("/")


def test_a_named_private_host_may_use_http(monkeypatch):
    monkeypatch.setenv("TETHER_PLAIN_HTTP_HOSTS", "tether")
    settings = load_settings(StreamSettings, public_url="http://tether:6066")
    assert settings.public_url == "http://tether:6066"


def test_unset_stays_unset():
    assert load_settings(StreamSettings).public_url is None
    assert load_settings(StreamSettings, public_url="").public_url is None


def test_check_reports_a_refused_public_url(monkeypatch):
    monkeypatch.setenv("TETHER_PUBLIC_URL", "http://tether.example.com")
    findings, stream = check_settings([StreamSettings])
    assert stream is None
    [finding] = findings
    assert finding.outcome is Outcome.CONFIG
    assert "TETHER_PUBLIC_URL: Value error, must use https://" in finding.detail


def test_check_names_an_accepted_public_url(monkeypatch):
    monkeypatch.setenv("TETHER_PUBLIC_URL", "https://tether.example.com")
    findings, stream = check_settings([StreamSettings])
    assert stream is not None
    [finding] = check_public_url(stream)
    assert (finding.subject, finding.outcome) == ("TETHER_PUBLIC_URL", Outcome.OK)
    assert finding.detail.startswith("https://tether.example.com ")
    assert check_public_url(load_settings(StreamSettings, public_url=None)) == []
