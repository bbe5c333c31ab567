"""Which URLs tether sends credentials to: https, or plain http on this machine.

Every system's API key or token travels with each request, so a base URL or
token URL over plain http would put it on the wire for anyone between tether
and the system. Plain http is allowed only to loopback addresses (the local
stand-ins, a proxy on the same host) and to hosts an operator names in
``TETHER_PLAIN_HTTP_HOSTS`` (a private test network such as docker compose's).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlainHttpSettings(BaseSettings):
    """Hosts that may be reached over plain http besides loopback addresses."""

    model_config = SettingsConfigDict(env_prefix="TETHER_", frozen=True)

    plain_http_hosts: str = Field(
        "",
        description="comma-separated host names tether may call over plain http "
        "(a private test network; loopback addresses always may)",
    )

    def hosts(self) -> frozenset[str]:
        """The named hosts, lower-case."""
        return frozenset(
            h.strip().lower() for h in self.plain_http_hosts.split(",") if h.strip()
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost`` or a loopback address)."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secure_url(value: str) -> str:
    """``value`` without a trailing slash, once it is safe to send credentials to.

    Raises:
        ValueError: Not an http(s) URL with a host; plain http to a host that
            is neither loopback nor in ``TETHER_PLAIN_HTTP_HOSTS``; user or
            password in the URL (they would be logged with it); a query or
            fragment (the API paths are appended to it).
    """
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        msg = "must be an https:// URL with a host name"
        raise ValueError(msg)
    if parts.username is not None or parts.password is not None:
        msg = "must not carry a user name or password (give them as their settings)"
        raise ValueError(msg)
    if parts.query or parts.fragment:
        msg = "must not have a query string or fragment"
        raise ValueError(msg)
    host = parts.hostname
    if parts.scheme == "http" and not (
        is_loopback(host) or host.lower() in PlainHttpSettings().hosts()
    ):
        msg = (
            f"must use https:// for {host} (plain http only for loopback "
            "addresses or hosts named in TETHER_PLAIN_HTTP_HOSTS)"
        )
        raise ValueError(msg)
    return value.strip().rstrip("/")
