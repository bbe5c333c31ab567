"""tether on SCRAM-SHA-256, SCRAM-SHA-512 and mutual TLS: a worker syncs through
mutual TLS, the tools read through each, and a wrong SCRAM password or a missing
client certificate fails with one clear line. One broker serves them all."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
import pytest

from devkit.local import LocalDeployment
from ops.cli import main
from standins.webcrm import seed_webcrm
from streams.kafka_security import _tls_alert, kafka_security
from tests.integration.certs import CLIENT_KEY_PASSWORD, make_certs
from tests.integration.isolation import wait_until
from tests.integration.scenario import ORGS, PERSONS, PRODUCTS, links, webcrm_customcrm
from tests.integration.secured import (
    SecuredBroker,
    collect_closed_connections,
    secured_broker,
)

PASSWORD = "scram-password-of-tether-3c7a"  # noqa: S105 - the test broker's own
SIZES = {ORGS: 3, PERSONS: 4, PRODUCTS: 1}
SCRAM = ["SCRAM-SHA-256", "SCRAM-SHA-512"]


@dataclass(frozen=True)
class Secured:
    """The broker's secured listeners, with each client's settings."""

    broker: SecuredBroker

    @property
    def ssl(self) -> str:
        assert self.broker.ssl is not None
        return self.broker.ssl

    def scram(self, mechanism: str) -> dict[str, str]:
        return {
            "TETHER_KAFKA_BOOTSTRAP": self.broker.sasl_ssl,
            **self.broker.sasl_env(mechanism=mechanism),
        }

    def mtls(self) -> dict[str, str]:
        return {"TETHER_KAFKA_BOOTSTRAP": self.ssl, **self.broker.mtls_env()}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    """One broker: SASL_SSL with PLAIN and both SCRAMs, and SSL with client auth."""
    with secured_broker(
        tmp_path_factory.mktemp("scram-mtls"),
        {"tether": PASSWORD},
        mtls=True,
        sasl_mechanisms=["PLAIN", *SCRAM],
    ) as broker:
        yield Secured(broker)


@pytest.fixture(scope="module")
def synced(
    secured: Secured, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalDeployment, dict[str, str]]]:
    """A deployment whose worker synced through mutual TLS; the tools' env."""
    security = secured.mtls()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in security.items():
            patch.setenv(key, value)  # this process's topic readers too
        with webcrm_customcrm(
            secured.ssl,
            tmp_path_factory.mktemp("deployment"),
            poll_interval=1.0,
            extra_env=security,
        ) as (local, webcrm, _):
            seed_webcrm(webcrm, organisations=3, persons=4, products=1, seed=11)
            local.start_worker()
            wait_until(
                local,
                lambda: all(len(links(local, f)) == n for f, n in SIZES.items()),
                "the first sync through mutual TLS",
                timeout=300,
            )
            env = {
                k: v
                for k, v in local.worker_env("cli").items()
                if k.startswith(("TETHER_", "WEBCRM_", "CUSTOMCRM_"))
            }
            yield local, env


def _cli(monkeypatch, capsys, env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    collect_closed_connections()  # what the fixture or an earlier test left
    for key in ("SSL_CERTFILE", "SSL_KEYFILE", "SSL_KEY_PASSWORD", "SASL_MECHANISM"):
        monkeypatch.delenv(f"TETHER_KAFKA_{key}", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = main(list(argv))
    collect_closed_connections()
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_a_worker_syncs_and_verify_reads_through_mutual_tls(
    synced: tuple[LocalDeployment, dict[str, str]], monkeypatch, capsys
) -> None:
    local, env = synced
    assert env["TETHER_KAFKA_SECURITY_PROTOCOL"] == "SSL"
    assert {f: len(links(local, f)) for f in SIZES} == SIZES
    code, out, _ = _cli(monkeypatch, capsys, env, "verify", "--json")
    assert code == 0, out
    code, out, _ = _cli(monkeypatch, capsys, env, "status", "--json")
    assert code == 0, out
    assert orjson.loads(out)


@pytest.mark.parametrize("mechanism", SCRAM)
def test_the_tools_read_through_scram(
    synced: tuple[LocalDeployment, dict[str, str]],
    secured: Secured,
    mechanism: str,
    monkeypatch,
    capsys,
) -> None:
    _, env = synced
    scram = {**env, **secured.scram(mechanism)}
    code, out, _ = _cli(monkeypatch, capsys, scram, "status", "--json")
    assert code == 0, out
    flows = orjson.dumps(orjson.loads(out)).decode()
    assert ORGS in flows
    code, out, _ = _cli(monkeypatch, capsys, scram, "deadletters", "list", "--json")
    assert code == 0, out


@pytest.mark.parametrize("mechanism", SCRAM)
def test_a_wrong_scram_password_fails_with_one_line(
    synced: tuple[LocalDeployment, dict[str, str]],
    secured: Secured,
    mechanism: str,
    monkeypatch,
    capsys,
) -> None:
    _, env = synced
    wrong = {
        **env,
        **secured.scram(mechanism),
        "TETHER_KAFKA_SASL_PASSWORD": "not-the-password",
    }
    code, out, err = _cli(monkeypatch, capsys, wrong, "deadletters", "list")
    assert code != 0
    line = _one_line(err)
    assert "refused the SASL login" in line, err
    assert mechanism in line, err
    assert "not-the-password" not in err + out


def test_a_client_without_a_certificate_is_refused_with_one_line(
    synced: tuple[LocalDeployment, dict[str, str]], monkeypatch, capsys
) -> None:
    _, env = synced
    bare = {
        k: v
        for k, v in env.items()
        if not k.startswith(("TETHER_KAFKA_SSL_CERTFILE", "TETHER_KAFKA_SSL_KEY"))
    }
    code, out, err = _cli(monkeypatch, capsys, bare, "deadletters", "list")
    assert code != 0
    line = _one_line(err)
    assert "certificate" in line, err
    assert "TETHER_KAFKA_SSL_CERTFILE" in line, err


def test_a_certificate_from_another_ca_is_refused_with_one_line(
    synced: tuple[LocalDeployment, dict[str, str]],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch,
    capsys,
) -> None:
    _, env = synced
    stranger = make_certs(tmp_path_factory.mktemp("stranger"))
    foreign = {
        **env,
        "TETHER_KAFKA_SSL_CERTFILE": str(stranger.client_cert),
        "TETHER_KAFKA_SSL_KEYFILE": str(stranger.client_key),
    }
    code, out, err = _cli(monkeypatch, capsys, foreign, "deadletters", "list")
    assert code != 0
    line = _one_line(err)
    assert "refused tether's client certificate" in line, err
    assert CLIENT_KEY_PASSWORD not in err + out


def test_a_missing_certificate_is_named_by_the_brokers_own_alert(
    secured: Secured, monkeypatch
) -> None:
    # aiokafka's attempt may see only a reset (its first request overtakes the
    # broker's alert); the probe that sends nothing reads the alert every time.
    for key, value in secured.mtls().items():
        monkeypatch.setenv(key, value)
    for key in ("SSL_CERTFILE", "SSL_KEYFILE", "SSL_KEY_PASSWORD"):
        monkeypatch.delenv(f"TETHER_KAFKA_{key}", raising=False)
    host, _, port = secured.ssl.rpartition(":")
    alert = asyncio.run(_tls_alert(host, int(port), kafka_security(), 10.0))
    assert alert is not None
    assert "CERTIFICATE" in str(alert.reason), alert  # Java's: "bad certificate"
