"""The live half of ``tether check``: log in, read one page of each type, ask Kafka.

Nothing here writes: a system is asked for the first page of each type (one
record where its page size allows), the broker for its metadata. No topic is
created, no consumer group joined, no record changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from connectors.base.settings import ConnectorSettings
from connectors.base.source import HttpSource
from connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    MalformedResponseError,
    SyncError,
    TransientError,
)
from engine.delivery import describe
from ops.check.findings import Finding, Outcome
from schemas.dataflow import Flow
from streams.kafka_io import existing_topics
from streams.probe import metadata_ready, split_bootstrap


def quick(settings: ConnectorSettings, answer_within: float) -> ConnectorSettings:
    """``settings`` for a check: one attempt, pages of one record, a short timeout.

    One attempt: a check reports what the system answers now instead of
    retrying for a minute; the worker's own settings still decide the retries.
    """
    update = {
        "max_attempts": 1,
        "max_retry_wait": 0.0,
        "page_size": 1,
        "timeout": min(settings.timeout, answer_within),
    }
    return settings.model_copy(update=update)


async def read_one_page(source: object, entity: str) -> int:
    """Read the first page of ``entity`` (one request); how many rows it held."""
    if isinstance(source, HttpSource):
        spec = source.spec(entity)
        rows, _ = await source.fetch_page(
            spec, None, source.paginator(spec).current_token
        )
        return len(rows)
    pages = source.read(entity, None)  # type: ignore[attr-defined]
    try:
        page = await anext(pages, None)
    finally:
        await pages.aclose()
    return len(page.events) if page is not None else 0


def _problem(
    system: str, url: str, exc: BaseException, answer_within: float
) -> tuple[Outcome, str]:
    """How a failed read of ``system`` is reported: whose fault, in one line."""
    base_url = f"{system.upper()}_BASE_URL"
    if isinstance(exc, AuthenticationError):
        return Outcome.CONFIG, f"{system} refused the credentials: {exc}"
    if isinstance(exc, ConfigurationError):
        return Outcome.CONFIG, str(exc)
    if isinstance(exc, MalformedResponseError):
        return Outcome.CONFIG, f"{exc}: not {system}'s API; is {base_url} right?"
    if isinstance(exc, TimeoutError):
        return (
            Outcome.UNREACHABLE,
            f"{system} at {url} gave no answer in {answer_within:g} s",
        )
    if isinstance(exc, TransientError):
        return Outcome.UNREACHABLE, f"{system} at {url} does not answer: {exc}"
    if isinstance(exc, SyncError):
        # Refused listings (404, 405) and redirects: the URL is not the API's.
        return Outcome.CONFIG, f"{exc}; is {base_url} right?"
    return Outcome.UNREACHABLE, f"{system} at {url}: {describe(exc)}"


async def check_system(
    system: str, settings: ConnectorSettings, types: Sequence[str], answer_within: float
) -> list[Finding]:
    """Log in to ``system`` and read one page of each of ``types``.

    The first failure ends the system's check: the other types would fail the
    same way (refused credentials, no answer).
    """
    from connectors import build_connector

    connector = build_connector(system, quick(settings, answer_within))
    findings: list[Finding] = []
    readable = set(connector.source.entities())
    wanted = [t for t in types if t in readable] or list(connector.source.entities())[
        :1
    ]
    try:
        async with asyncio.timeout(answer_within), connector:
            for entity in wanted:
                rows = await read_one_page(connector.source, entity)
                detail = f"logged in, first page read ({rows} row(s))"
                findings.append(Finding(system, entity, Outcome.OK, detail))
    except Exception as exc:  # noqa: BLE001 - every failure is a finding, not a crash
        done = {f.subject for f in findings}
        failing = next(t for t in wanted if t not in done)
        outcome, detail = _problem(system, settings.base_url, exc, answer_within)
        findings.append(Finding(system, failing, outcome, detail))
    return findings


async def check_systems(
    settings: dict[str, ConnectorSettings],
    types: dict[str, list[str]],
    answer_within: float,
) -> list[Finding]:
    """Every system checked at once; findings in the order of ``settings``."""
    results = await asyncio.gather(
        *(
            check_system(s, settings[s], types.get(s, []), answer_within)
            for s in settings
        )
    )
    return [finding for result in results for finding in result]


async def check_broker(bootstrap: str, app_id: str, answer_within: float) -> Finding:
    """Whether the brokers at ``bootstrap`` answer a metadata request."""
    try:
        split_bootstrap(bootstrap)
    except ValueError as exc:
        return Finding(
            "broker", bootstrap, Outcome.CONFIG, f"TETHER_KAFKA_BOOTSTRAP: {exc}"
        )
    if not await metadata_ready(bootstrap, request_timeout=answer_within):
        detail = (
            f"no Kafka broker answers at {bootstrap} (TETHER_KAFKA_BOOTSTRAP):"
            f" nothing listens there, or it gave no metadata within {answer_within:g} s"
        )
        return Finding("broker", bootstrap, Outcome.UNREACHABLE, detail)
    try:
        async with asyncio.timeout(answer_within):
            topics = await existing_topics(bootstrap)
    except (SyncError, TimeoutError) as exc:
        return Finding("broker", bootstrap, Outcome.UNREACHABLE, describe(exc))
    mine = [t for t in topics if t.startswith((f"{app_id}-", f"{app_id}."))]
    state = (
        f"{len(mine)} topics of app id {app_id!r}"
        if mine
        else f"no topics of app id {app_id!r} yet: the first worker creates them"
    )
    return Finding("broker", bootstrap, Outcome.OK, f"answers; {state}")


def flow_types(flows: Iterable[Flow]) -> dict[str, list[str]]:
    """Per system, the entity types the flows read or write there, in order."""
    types: dict[str, list[str]] = {}
    for flow in flows:
        for ref in (flow.source, flow.target):
            listed = types.setdefault(ref.system, [])
            if ref.type not in listed:
                listed.append(ref.type)
    return types
