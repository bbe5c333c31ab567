"""Fixtures: one real server per system per module, reset before every test."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from standins.chargebee import ChargebeeStandIn
from standins.crmoffice import CrmofficeStandIn
from standins.customcrm import CustomcrmStandIn
from standins.customwebshop import CustomwebshopStandIn
from standins.membercare import MembercareStandIn, countries
from standins.tidsbanken import TidsbankenStandIn
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


@pytest.fixture(scope="module")
def membercare_server() -> Iterator[MembercareStandIn]:
    with MembercareStandIn() as standin:
        yield standin


@pytest.fixture
def membercare(membercare_server: MembercareStandIn) -> MembercareStandIn:
    """The Membercare stand-in, emptied, with its country list seeded."""
    membercare_server.reset()
    membercare_server.seed("Countries", countries())
    return membercare_server


@pytest.fixture
def mc(http: httpx.Client, membercare: MembercareStandIn) -> Iterator[httpx.Client]:
    """A client holding a Membercare token, rooted at ``/api/v1``."""
    body = http.get(
        f"{membercare.url}/api/v1/token",
        params={"clientApiKey": membercare.api_key, "personToImpersonate": "1"},
    ).json()
    with httpx.Client(
        base_url=f"{membercare.url}/api/v1",
        headers={"token": body["value"]},
        timeout=5,
        verify=SSL_CONTEXT,
    ) as client:
        yield client


@pytest.fixture(scope="module")
def crmoffice_server() -> Iterator[CrmofficeStandIn]:
    with CrmofficeStandIn() as standin:
        yield standin


@pytest.fixture
def crmoffice(crmoffice_server: CrmofficeStandIn) -> CrmofficeStandIn:
    crmoffice_server.reset()
    return crmoffice_server


@pytest.fixture
def co(http: httpx.Client, crmoffice: CrmofficeStandIn) -> Iterator[httpx.Client]:
    """A client holding a Crmoffice bearer token (client credentials)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": crmoffice.oauth.client_id,
        "client_secret": crmoffice.oauth.client_secret,
    }
    token = http.post(f"{crmoffice.url}/connect/token", data=form).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    with httpx.Client(
        base_url=crmoffice.url, headers=headers, timeout=5, verify=SSL_CONTEXT
    ) as client:
        yield client


@pytest.fixture(scope="module")
def tidsbanken_server() -> Iterator[TidsbankenStandIn]:
    with TidsbankenStandIn() as standin:
        yield standin


@pytest.fixture
def tidsbanken(tidsbanken_server: TidsbankenStandIn) -> TidsbankenStandIn:
    tidsbanken_server.reset()
    return tidsbanken_server


@pytest.fixture
def tb(tidsbanken: TidsbankenStandIn) -> Iterator[httpx.Client]:
    """A client sending Tidsbanken's three gateway headers."""
    headers = {
        "tb-key": tidsbanken.tb_key,
        "Ocp-Apim-Subscription-Key": tidsbanken.subscription_key,
        "x-api-version": "3.0",
    }
    with httpx.Client(
        base_url=tidsbanken.url, headers=headers, timeout=5, verify=SSL_CONTEXT
    ) as client:
        yield client
