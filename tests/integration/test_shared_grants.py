"""Grants shared on the real broker: one renewal per generation, sealed values."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest
from pydantic import SecretStr

from connectors.base.grants import Grant
from connectors.errors import TransientError
from streams.grants import GrantCipher, KafkaGrantStore, grants_topic
from streams.kafka_io import publisher, read_all
from streams.provision import TopicSpec, ensure_topics

SECRET = SecretStr("client-secret-of-crmoffice-7f3a")


def _grant(after: Grant | None, token: str) -> Grant:
    return Grant(
        access_token=SecretStr(f"access-{token}"),
        expires_at=time.time() + 3600,
        refresh_token=SecretStr(f"refresh-{token}"),
        generation=(after.generation if after else 0) + 1,
        seed="seed-1",
    )


async def _stores(bootstrap: str, app_id: str, count: int, **options):
    await ensure_topics(bootstrap, [TopicSpec(grants_topic(app_id), 1, True)], 1)
    return [
        KafkaGrantStore(bootstrap, app_id, "crmoffice", SECRET, **options)
        for _ in range(count)
    ]


async def test_workers_racing_for_a_renewal_run_it_once(
    kafka_bootstrap, unique_name
) -> None:
    app_id = unique_name("grants")
    stores = await _stores(kafka_bootstrap, app_id, 3)
    runs: list[str] = []

    def renewal_by(name: str):
        async def renewal(after: Grant | None) -> Grant:
            runs.append(name)
            await asyncio.sleep(0.3)  # the others arrive while this one renews
            return _grant(after, name)

        return renewal

    try:
        first = await asyncio.gather(
            *(
                s.renew("seed-1", None, renewal_by(f"w{i}"))
                for i, s in enumerate(stores)
            )
        )
        assert len(runs) == 1
        assert {g.access_token.get_secret_value() for g in first} == {
            f"access-{runs[0]}"
        }
        # The next generation, asked for by all again: one more run, from gen 1.
        second = await asyncio.gather(
            *(
                s.renew("seed-1", first[0], renewal_by(f"w{i}"))
                for i, s in enumerate(stores)
            )
        )
        assert len(runs) == 2
        assert {g.generation for g in second} == {2}
        # A worker started later reads generation 2 back.
        (late,) = await _stores(kafka_bootstrap, app_id, 1)
        try:
            latest = await late.latest()
            assert latest is not None
            assert latest.generation == 2
            assert latest.refresh_token == second[0].refresh_token
        finally:
            await late.aclose()
    finally:
        for store in stores:
            await store.aclose()


async def test_grants_on_the_topic_are_sealed_and_forgeries_ignored(
    kafka_bootstrap, unique_name
) -> None:
    app_id = unique_name("grants")
    (store,) = await _stores(kafka_bootstrap, app_id, 1)
    try:
        made = await store.renew("seed-1", None, _async(lambda a: _grant(a, "real")))
        topic = grants_topic(app_id)
        raw = orjson.dumps(await read_all(kafka_bootstrap, topic))
        assert b"access-real" not in raw
        assert b"refresh-real" not in raw
        # Someone with write access forges a grant, sealed with another key.
        forged = GrantCipher(SecretStr("not-the-secret"), app_id, "crmoffice").seal(
            _grant(made, "forged")
        )
        async with publisher(kafka_bootstrap) as send:
            await send(topic, "grant/crmoffice", orjson.loads(forged))
        latest = await store.latest()
        assert latest is not None
        assert latest.access_token.get_secret_value() == "access-real"
    finally:
        await store.aclose()


async def test_a_claim_nobody_finishes_is_taken_over(
    kafka_bootstrap, unique_name
) -> None:
    app_id = unique_name("grants")
    stuck, other = await _stores(kafka_bootstrap, app_id, 2, claim_seconds=1.0)
    hang = asyncio.Event()

    async def never(after: Grant | None) -> Grant:
        await hang.wait()
        raise AssertionError("unreachable")

    try:
        stalled = asyncio.create_task(stuck.renew("seed-1", None, never))
        await asyncio.sleep(0.5)  # its claim is on the topic
        got = await asyncio.wait_for(
            other.renew("seed-1", None, _async(lambda a: _grant(a, "other"))), 30
        )
        assert got.access_token.get_secret_value() == "access-other"
        stalled.cancel()
    finally:
        await stuck.aclose()
        await other.aclose()


async def test_a_failed_renewal_releases_its_claim_at_once(
    kafka_bootstrap, unique_name
) -> None:
    app_id = unique_name("grants")
    # A takeover would take ten minutes: only the release lets the others on.
    failing, other = await _stores(kafka_bootstrap, app_id, 2, claim_seconds=600.0)

    async def refused(after: Grant | None) -> Grant:
        msg = "crmoffice POST /connect/token -> 503"
        raise TransientError(msg)

    try:
        with pytest.raises(TransientError):
            await failing.renew("seed-1", None, refused)
        got = await asyncio.wait_for(
            other.renew("seed-1", None, _async(lambda a: _grant(a, "other"))), 30
        )
        assert got.access_token.get_secret_value() == "access-other"
        # The worker that failed, asking again, reads the other's grant.
        again = await asyncio.wait_for(failing.renew("seed-1", None, refused), 30)
        assert again.access_token.get_secret_value() == "access-other"
    finally:
        await failing.aclose()
        await other.aclose()


def _async(make):
    async def renewal(after: Grant | None) -> Grant:
        return make(after)

    return renewal
