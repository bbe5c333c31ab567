"""Rotating Crmoffice refresh tokens, shared by several workers through a store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from connectors import build_connector
from connectors.base.grants import Grant, Renewal
from connectors.crmoffice import CrmofficeAuth, CrmofficeSettings
from connectors.errors import AuthenticationError
from standins import CrmofficeStandIn, crmoffice_sample


class MemoryGrants:
    """The ``GrantStore`` contract in one process (the Kafka one is tested on a
    real broker in tests/integration/test_shared_grants.py)."""

    def __init__(self) -> None:
        self.grant: Grant | None = None
        self.renewals = 0
        self._lock = asyncio.Lock()

    async def latest(self) -> Grant | None:
        return self.grant

    async def renew(self, seed: str, after: Grant | None, renewal: Renewal) -> Grant:
        generation = after.generation + 1 if after else 1
        async with self._lock:
            grant = self.grant
            if grant and grant.seed == seed and grant.generation >= generation:
                return grant
            self.grant = await renewal(after)
            self.renewals += 1
            return self.grant


@pytest.fixture(scope="module")
def server() -> Iterator[CrmofficeStandIn]:
    with CrmofficeStandIn(rotate_refresh_tokens=True) as standin:
        standin.seed("Companies", crmoffice_sample(companies=2)["Companies"])
        yield standin


def _settings(server: CrmofficeStandIn, consent: str) -> CrmofficeSettings:
    return CrmofficeSettings(
        base_url=server.url,
        client_id=server.oauth.client_id,
        client_secret=SecretStr(server.oauth.client_secret),
        refresh_token=SecretStr(consent),
    )


def _share(connector, store: MemoryGrants) -> None:
    auth = connector.client.auth
    assert isinstance(auth, CrmofficeAuth)
    auth.share(store)


async def test_two_workers_and_a_restart_never_reuse_a_spent_token(server) -> None:
    settings = _settings(server, server.oauth.consent())
    store = MemoryGrants()
    async with (
        build_connector("crmoffice", settings) as first,
        build_connector("crmoffice", settings) as second,
    ):
        _share(first, store)
        _share(second, store)
        for _ in range(3):
            await asyncio.gather(
                first.sink.get("Companies", "c-100"),
                second.sink.get("Companies", "c-100"),
            )
            server.expire_tokens()  # every worker must renew now
    assert store.renewals >= 3
    # A restarted worker starts from the configured (long spent) token: it
    # must take the chain's latest grant instead.
    async with build_connector("crmoffice", settings) as restarted:
        _share(restarted, store)
        assert await restarted.sink.get("Companies", "c-100") is not None


async def test_without_a_shared_store_the_second_worker_is_refused(server) -> None:
    settings = _settings(server, server.oauth.consent())
    async with (
        build_connector("crmoffice", settings) as first,
        build_connector("crmoffice", settings) as second,
    ):
        assert await first.sink.get("Companies", "c-100") is not None
        with pytest.raises(AuthenticationError, match="crmoffice"):
            await second.sink.get("Companies", "c-100")


async def test_a_new_consent_starts_a_new_chain(server) -> None:
    store = MemoryGrants()
    old = _settings(server, server.oauth.consent())
    async with build_connector("crmoffice", old) as worker:
        _share(worker, store)
        await worker.sink.get("Companies", "c-100")
    spent_chain = store.grant
    assert spent_chain is not None
    new = _settings(server, server.oauth.consent())
    async with build_connector("crmoffice", new) as worker:
        _share(worker, store)
        assert await worker.sink.get("Companies", "c-100") is not None
    assert store.grant is not None
    assert store.grant.seed != spent_chain.seed
    assert store.grant.generation == 1
