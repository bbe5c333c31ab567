"""Fixtures: one real server per system per module, reset before every test."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from standins.chargebee import ChargebeeStandIn
from standins.customcrm import CustomcrmStandIn
from standins.customwebshop import CustomwebshopStandIn
from standins.webcrm import WebcrmStandIn

# Loading the CA bundle costs ~0.1 s per httpx client; share one context.
SSL_CONTEXT = ssl.create_default_context()


def webcrm_login(http: httpx.Client, standin: WebcrmStandIn) -> str:
    """A fresh access token from the stand-in's login endpoint."""
    response = http.post(
        f"{standin.url}/Auth/ApiLogin", data={"authCode": standin.auth_code}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["AccessToken"]
    return token


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """A plain client (no base URL, no credentials) for the whole session."""
    with httpx.Client(timeout=5, verify=SSL_CONTEXT) as client:
        yield client


@pytest.fixture(scope="module")
def webcrm_server() -> Iterator[WebcrmStandIn]:
    with WebcrmStandIn() as standin:
        yield standin


@pytest.fixture(scope="module")
def customcrm_server() -> Iterator[CustomcrmStandIn]:
    with CustomcrmStandIn() as standin:
        yield standin


@pytest.fixture
def webcrm(webcrm_server: WebcrmStandIn) -> WebcrmStandIn:
    webcrm_server.reset()
    return webcrm_server


@pytest.fixture
def customcrm(customcrm_server: CustomcrmStandIn) -> CustomcrmStandIn:
    customcrm_server.reset()
    return customcrm_server


@pytest.fixture
def wc(http: httpx.Client, webcrm: WebcrmStandIn) -> Iterator[httpx.Client]:
    """A client logged in to the Webcrm stand-in."""
    headers = {"Authorization": f"Bearer {webcrm_login(http, webcrm)}"}
    with httpx.Client(
        base_url=webcrm.url, headers=headers, timeout=5, verify=SSL_CONTEXT
    ) as client:
        yield client


@pytest.fixture
def cc(customcrm: CustomcrmStandIn) -> Iterator[httpx.Client]:
    """A client holding the Customcrm stand-in's API key."""
    headers = {"Authorization": f"Bearer {customcrm.api_key}"}
    with httpx.Client(
        base_url=customcrm.url, headers=headers, timeout=5, verify=SSL_CONTEXT
    ) as client:
        yield client


@pytest.fixture(scope="module")
def customwebshop_server() -> Iterator[CustomwebshopStandIn]:
    with CustomwebshopStandIn() as standin:
        yield standin


@pytest.fixture
def customwebshop(customwebshop_server: CustomwebshopStandIn) -> CustomwebshopStandIn:
    customwebshop_server.reset()
    return customwebshop_server


@pytest.fixture
def cw(customwebshop: CustomwebshopStandIn) -> Iterator[httpx.Client]:
    """A client holding the Customwebshop stand-in's API key."""
    headers = {"Authorization": f"Bearer {customwebshop.api_key}"}
    with httpx.Client(
        base_url=customwebshop.url, headers=headers, timeout=5, verify=SSL_CONTEXT
    ) as client:
        yield client


@pytest.fixture(scope="module")
def chargebee_server() -> Iterator[ChargebeeStandIn]:
    with ChargebeeStandIn() as standin:
        yield standin


@pytest.fixture
def chargebee(chargebee_server: ChargebeeStandIn) -> ChargebeeStandIn:
    chargebee_server.reset()
    return chargebee_server


@pytest.fixture
def cb(chargebee: ChargebeeStandIn) -> Iterator[httpx.Client]:
    """A client on ``/api/v2`` with the Chargebee key (Basic, empty password)."""
    with httpx.Client(
        base_url=f"{chargebee.url}/api/v2",
        auth=(chargebee.api_key, ""),
        timeout=5,
        verify=SSL_CONTEXT,
    ) as client:
        yield client
