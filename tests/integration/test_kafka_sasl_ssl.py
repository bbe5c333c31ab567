"""tether on a SASL_SSL listener: a worker syncs through it, the tools read through
it, and a wrong password fails with one clear line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.cli import main
from standins.webcrm import seed_webcrm
from tests.integration.isolation import wait_until
from tests.integration.scenario import ORGS, PERSONS, PRODUCTS, links, webcrm_customcrm
from tests.integration.secured import collect_closed_connections, secured_broker

PASSWORD = "sasl-password-of-tether-81b2"  # noqa: S105 - the test broker's own
SIZES = {ORGS: 4, PERSONS: 6, PRODUCTS: 2}


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A broker with a SASL_SSL listener; its address and the client settings."""
    with secured_broker(tmp_path, {"tether": PASSWORD}) as broker:
        yield broker.sasl_ssl, broker.sasl_env()


def _cli(monkeypatch, capsys, env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    collect_closed_connections()  # what an earlier command left
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = main(list(argv))
    collect_closed_connections()
    out, err = capsys.readouterr()
    return code, out, err


def test_a_worker_and_the_tools_work_through_sasl_ssl(
    secured: tuple[str, dict[str, str]], tmp_path: Path, monkeypatch, capsys
) -> None:
    bootstrap, security = secured
    for key, value in security.items():
        monkeypatch.setenv(key, value)  # this process's readers too
    with webcrm_customcrm(
        bootstrap, tmp_path, poll_interval=1.0, extra_env=security
    ) as (local, webcrm, _):
        seed_webcrm(webcrm, organisations=4, persons=6, products=2, seed=5)
        local.start_worker()
        wait_until(
            local,
            lambda: all(len(links(local, f)) == n for f, n in SIZES.items()),
            "the first sync through SASL_SSL",
            timeout=300,
        )
        env = {**local.worker_env("cli"), **security}
        env = {
            k: v
            for k, v in env.items()
            if k.startswith(("TETHER_", "WEBCRM_", "CUSTOMCRM_"))
        }
        code, out, _ = _cli(monkeypatch, capsys, env, "verify", "--json")
        assert code == 0, out
        code, out, _ = _cli(monkeypatch, capsys, env, "deadletters", "list", "--json")
        assert code == 0, out

        # The same with a wrong password: one line that says what failed.
        wrong = {**env, "TETHER_KAFKA_SASL_PASSWORD": "not-the-password"}
        code, out, err = _cli(monkeypatch, capsys, wrong, "deadletters", "list")
        assert code != 0
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, err
        assert "refused the SASL login" in lines[0], err
        assert "not-the-password" not in err + out
