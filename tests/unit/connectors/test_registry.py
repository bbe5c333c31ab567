"""``connectors.REGISTRY`` and ``build_connector``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import SecretStr

from connectors import REGISTRY, Connector, build_connector
from connectors.base.settings import ConnectorSettings
from connectors.chargebee import ChargebeeSettings
from connectors.crmoffice import CrmofficeSettings
from connectors.customcrm import CustomcrmSettings, CustomcrmSink, CustomcrmSource
from connectors.customwebshop import CustomwebshopSettings
from connectors.errors import ConfigurationError
from connectors.membercare import MembercareSettings
from connectors.tidsbanken import TidsbankenSettings
from connectors.webcrm import WebcrmSettings, WebcrmSink, WebcrmSource
from schemas.catalog import SYSTEMS
from tests.fakes import FakeApi, json_response


def test_registry_systems_are_known_catalog_systems() -> None:
    assert {"webcrm", "customcrm", "customwebshop", "chargebee"} <= set(REGISTRY)
    assert {"membercare", "crmoffice", "tidsbanken"} <= set(REGISTRY)
    assert set(REGISTRY) <= set(SYSTEMS)
    for system, spec in REGISTRY.items():
        assert system in SYSTEMS
        assert spec.source.system == system  # type: ignore[attr-defined]
        assert spec.sink.system == system  # type: ignore[attr-defined]


@pytest.mark.parametrize("system", sorted(REGISTRY))
def test_sources_publish_the_catalog_types(system: str) -> None:
    connector = build_connector(system, _settings(system))
    assert set(connector.source.entities()) <= set(SYSTEMS[system].types)
    for entity in connector.source.entities():
        connector.sink.capabilities(entity)


_SETTINGS: dict[str, Callable[[], ConnectorSettings]] = {
    "webcrm": lambda: WebcrmSettings(api_token=SecretStr("t")),
    "customcrm": lambda: CustomcrmSettings(
        base_url="http://127.0.0.1:1", api_key=SecretStr("k")
    ),
    "customwebshop": lambda: CustomwebshopSettings(
        base_url="http://127.0.0.1:1", api_key=SecretStr("k")
    ),
    "chargebee": lambda: ChargebeeSettings(site="acme-test", api_key=SecretStr("k")),
    "membercare": lambda: MembercareSettings(
        base_url="http://127.0.0.1:1/api",
        api_key=SecretStr("k"),
        person_to_impersonate="1",
    ),
    "crmoffice": lambda: CrmofficeSettings(client_id="c", client_secret=SecretStr("s")),
    "tidsbanken": lambda: TidsbankenSettings(
        tb_key=SecretStr("t"), subscription_key=SecretStr("s")
    ),
}
"""Minimal valid settings per registered system; every system needs an entry."""


def _settings(system: str) -> ConnectorSettings:
    return _SETTINGS[system]()


async def test_source_and_sink_share_one_client(api: FakeApi) -> None:
    api.add("GET", "/customers/C-1", json_response({"error": "not_found"}, 404))
    connector = build_connector(
        "customcrm", _settings("customcrm"), transport=api.transport
    )
    assert isinstance(connector, Connector)
    assert isinstance(connector.source, CustomcrmSource)
    assert isinstance(connector.sink, CustomcrmSink)
    assert connector.source.client is connector.sink.client is connector.client
    async with connector:
        assert connector.client.is_open
        assert await connector.sink.get("Customer", "C-1") is None
    assert not connector.client.is_open


def test_webcrm_connector() -> None:
    connector = build_connector("webcrm", _settings("webcrm"))
    assert isinstance(connector.source, WebcrmSource)
    assert isinstance(connector.sink, WebcrmSink)
    assert connector.client.limiter is not None
    assert connector.client.limiter.limit == 250


def test_unknown_system() -> None:
    with pytest.raises(ConfigurationError, match="no connector for system 'nope'"):
        build_connector("nope")


def test_settings_of_the_wrong_system() -> None:
    with pytest.raises(ConfigurationError, match="needs WebcrmSettings"):
        build_connector("webcrm", _settings("customcrm"))


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTOMCRM_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CUSTOMCRM_API_KEY", "k")
    connector = build_connector("customcrm")
    assert connector.settings.base_url == "http://127.0.0.1:9"


def test_missing_environment_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WEBCRM_API_TOKEN", raising=False)
    with pytest.raises(ConfigurationError, match="WEBCRM_API_TOKEN"):
        build_connector("webcrm")
