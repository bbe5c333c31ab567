"""No system's credentials or tokens show in a repr, a str or an error message.

Each system's client is built with known secrets and logs in through a fake
API, which then answers 401 to everything (and, for the systems that log in,
``invalid_grant`` to the login, quoting what it was sent): neither the objects
holding the credentials nor the errors raised may show any of them.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson
import pytest
from pydantic import SecretStr

from connectors import REGISTRY
from connectors.base.client import HttpClient
from connectors.base.settings import ConnectorSettings
from connectors.base.tokens import RenewingTokenAuth
from connectors.errors import AuthenticationError
from streams.kafka_security import KafkaSecurity
from streams.settings import StreamSettings

ACCESS = "access-7c1d-issued-secret"
ROTATED = "rotated-refresh-9a4e-secret"
LOGINS = ("/Auth/ApiLogin", "/v1/token", "/connect/token")

SETTINGS: dict[str, dict[str, Any]] = {
    "webcrm": {"api_token": "webcrm-app-token-secret"},
    "membercare": {
        "api_key": "membercare-key-secret",
        "person_to_impersonate": "1",
    },
    "crmoffice": {
        "client_id": "tether",
        "client_secret": "crmoffice-client-secret",
        "refresh_token": "crmoffice-refresh-secret",
    },
    "chargebee": {"api_key": "chargebee-key-secret"},
    "tidsbanken": {
        "tb_key": "tidsbanken-tb-key-secret",
        "subscription_key": "tidsbanken-apim-secret",
    },
    "customcrm": {"api_key": "customcrm-key-secret"},
    "customwebshop": {"api_key": "customwebshop-key-secret"},
}


class Api:
    """Logs in with a token, then answers ``mode``: ok, 401 or ``invalid_grant``.

    Refusals quote every credential the request carried, as a careless
    server might: tether must not pass them on.
    """

    def __init__(self) -> None:
        self.mode = "ok"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        sent = f"{request.url} {dict(request.headers)} {request.content.decode()}"
        if request.url.path.endswith(LOGINS):
            if self.mode == "invalid_grant":
                body = {"error": "invalid_grant", "error_description": sent}
                return _json(body, 400)
            return _json(_login_body(request.url.path))
        if self.mode == "ok":
            return _json({"items": []})
        return _json({"error": "unauthorized", "detail": sent}, 401)


def _login_body(path: str) -> dict[str, Any]:
    if path.endswith("/Auth/ApiLogin"):
        return {"AccessToken": ACCESS, "ExpiresIn": 3600, "IsError": False}
    if path.endswith("/v1/token"):
        return {"value": ACCESS}
    return {"access_token": ACCESS, "refresh_token": ROTATED, "expires_in": 3600}


def _json(body: Any, status: int = 200) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    return httpx.Response(status, content=orjson.dumps(body), headers=headers)


def _settings(system: str) -> ConnectorSettings:
    values = {
        k: SecretStr(v) if "secret" in v else v for k, v in SETTINGS[system].items()
    }
    cls = REGISTRY[system].settings
    return cls(base_url=f"https://{system}.test/api", max_attempts=1, **values)


def _secrets(system: str) -> list[str]:
    return [v for v in SETTINGS[system].values() if "secret" in v] + [ACCESS, ROTATED]


def _client(system: str, api: Api) -> HttpClient:
    spec = REGISTRY[system]
    client: HttpClient = spec.client(
        _settings(system), transport=httpx.MockTransport(api)
    )
    return client


def _shown(*objects: object) -> str:
    """Everything ``objects`` show: repr and str, and an error's causes too."""
    texts: list[str] = []
    for obj in objects:
        texts += [repr(obj), str(obj)]
        if isinstance(obj, BaseException):
            cause = obj.__cause__ or obj.__context__
            texts += [repr(cause), str(cause)] if cause is not None else []
    return "\n".join(texts)


def _assert_hidden(system: str, text: str) -> None:
    for secret in _secrets(system):
        assert secret not in text, f"{system}: {secret} shown"


@pytest.mark.parametrize("system", sorted(SETTINGS))
async def test_credentials_and_tokens_are_hidden(system: str) -> None:
    api = Api()
    async with _client(system, api) as client:
        await client.request("GET", "things")
        auth = client.auth
        # What the auth holds, attribute by attribute: secrets only as SecretStr.
        _assert_hidden(system, _shown(client, auth, client.base_url, vars(auth)))
        _assert_hidden(system, _shown(_settings(system)))
        if isinstance(auth, RenewingTokenAuth):
            assert auth.logins == 1
        api.mode = "401"
        with pytest.raises(AuthenticationError) as caught:
            await client.request("GET", "things")
        _assert_hidden(system, _shown(caught.value, vars(auth)))


@pytest.mark.parametrize("system", ["crmoffice", "membercare", "webcrm"])
async def test_a_refused_login_shows_no_secret(system: str) -> None:
    api = Api()
    api.mode = "invalid_grant"
    async with _client(system, api) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.request("GET", "things")
        _assert_hidden(system, _shown(caught.value, client.auth, vars(client.auth)))


def test_the_worker_settings_hide_their_secrets() -> None:
    stream = StreamSettings(control_token=SecretStr("control-token-secret"))
    kafka = KafkaSecurity(
        security_protocol="SASL_SSL",
        sasl_mechanism="PLAIN",
        sasl_username="tether",
        sasl_password=SecretStr("sasl-password-secret"),
    )
    text = _shown(stream, kafka, stream.public_dict())
    assert "control-token-secret" not in text
    assert "sasl-password-secret" not in text


# Named like credentials but not secret: where they live, how long before expiry.
NOT_SECRETS = {"token_url", "token_refresh_margin", "ssl_keyfile", "sasl_ssl_keystore"}
# The dev kit broker's: a listener's key file, and the names of its ACL super users.
NOT_SECRETS |= {"ssl_keystore", "super_users"}


def test_every_credential_setting_is_a_secret() -> None:
    from ops.check.settings import settings_classes

    plain = [
        f"{cls.__name__}.{name}: {field.annotation}"
        for cls in settings_classes()
        for name, field in cls.model_fields.items()
        if re.search(r"token|secret|password|key|credential|users", name)
        and name not in NOT_SECRETS
        and "SecretStr" not in str(field.annotation)
    ]
    assert plain == []
