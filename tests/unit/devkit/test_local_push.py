"""``LocalDeployment(push=True)``: a receiver per worker, stand-ins sending to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.local import LocalDeployment
from standins import (
    ChargebeeStandIn,
    CustomcrmStandIn,
    MembercareStandIn,
    WebcrmStandIn,
)


@pytest.fixture(scope="module")
def standins() -> Iterator[dict]:
    started = {
        "webcrm": WebcrmStandIn().start(),
        "customcrm": CustomcrmStandIn().start(),
        "chargebee": ChargebeeStandIn().start(),
        "membercare": MembercareStandIn().start(),
    }
    yield started
    for standin in started.values():
        standin.stop()


def test_push_env_and_stand_ins_pointed_at_the_worker(tmp_path: Path, standins):
    local = LocalDeployment("127.0.0.1:1", "t", tmp_path, standins, push=True)
    env = local.worker_env("w1")
    url = local.receiver_url("w1")
    assert env["TETHER_WEB_ENABLED"] == "true"
    assert env["TETHER_PUBLIC_URL"] == url
    assert env["TETHER_WEB_PORT"] == url.rsplit(":", 1)[1]
    secret = env["WEBCRM_WEBHOOK_SECRET"]
    assert len(secret) >= 24
    assert env["CUSTOMCRM_WEBHOOK_SECRET"] == secret
    assert env["CHARGEBEE_WEBHOOK_PASSWORD"] == secret
    assert not any(k.startswith("MEMBERCARE_WEBHOOK") for k in env)  # polled only
    assert standins["customcrm"].webhook == (f"{url}/hooks/customcrm", secret)
    assert standins["chargebee"].webhook == (f"{url}/hooks/chargebee", "tether", secret)
    assert local.receiver_url("w1") == url  # stable across restarts
    assert local.receiver_url("w2") != url
    standins["customcrm"].webhook_to(None)
    standins["chargebee"].webhook_to(None)


def test_push_is_off_by_default(tmp_path: Path, standins):
    local = LocalDeployment("127.0.0.1:1", "t", tmp_path, standins)
    env = local.worker_env("w1")
    assert "TETHER_WEB_ENABLED" not in env
    assert not any("WEBHOOK" in k for k in env)
