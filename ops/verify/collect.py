"""Gathers links and reports from Kafka and listings from the systems; checks flows."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from contextlib import AsyncExitStack
from typing import Protocol

from connectors import Connector, build_connector
from connectors.base.protocols import Source
from connectors.errors import ConfigurationError
from ops.verify.compare import (
    LinkPairs,
    check_flow,
    links_from_table,
    make_resolver,
    reports_by_flow,
)
from ops.verify.findings import FlowCheck, Listing, VerifyResult
from ops.verify.render import plural
from schemas.dataflow import EntityRef, Flow
from streams.kafka_io import existing_topics, read_latest
from streams.settings import StreamSettings
from streams.topics import TopicNames

log = logging.getLogger(__name__)


class Progress(Protocol):
    """Where progress goes: ``milestone`` lines always, running counts at will;
    ``step`` (done, total) says how far a phase named by ``message`` is."""

    def __call__(
        self,
        message: str,
        *,
        milestone: bool = ...,
        step: tuple[int, int] | None = ...,
    ) -> None: ...


def no_progress(
    message: str, *, milestone: bool = True, step: tuple[int, int] | None = None
) -> None:
    """A ``Progress`` that shows nothing."""


def active_flows(settings: StreamSettings) -> dict[str, Flow]:
    """The flows a worker with these settings runs (``TETHER_FLOWS``, connectors)."""
    from connectors import REGISTRY
    from dataflows import flows_by_name, load_documents
    from engine.selection import configured_systems, select_flows

    available = configured_systems(os.environ) & set(REGISTRY)
    return select_flows(flows_by_name(load_documents()), settings.flows, available)


def pick_flows(active: dict[str, Flow], wanted: Iterable[str]) -> dict[str, Flow]:
    """The active flows named by ``wanted`` (flow or document names; none: all)."""
    chosen: dict[str, Flow] = {}
    for item in wanted:
        matches = [
            name
            for name, flow in active.items()
            if item in (name, f"{flow.source.system}-{flow.target.system}")
        ]
        if not matches:
            msg = f"flow {item!r} is not active; active flows: {', '.join(active)}"
            raise ConfigurationError(msg)
        chosen.update((name, active[name]) for name in matches)
    if not chosen:
        return dict(active)
    return {name: flow for name, flow in active.items() if name in chosen}


async def read_listing(source: Source, entity: str, progress: Progress) -> Listing:
    """Every record of ``entity`` through its source's change feed, from the start."""
    listing = Listing()
    async for page in source.read(entity, None):
        for event in page.events:
            # The feed is ordered by modification time: a later row is newer.
            listing.invalid.pop(event.id, None)
            listing.events[event.id] = event
        for bad in page.bad_records:
            listing.events.pop(bad.record_id, None)
            listing.invalid[bad.record_id] = bad.reason
        read = len(listing.events) + len(listing.invalid)
        progress(f"{source.system} {entity}: {read} read", milestone=False)
    read = len(listing.events) + len(listing.invalid)
    progress(f"{source.system} {entity}: {read} records", milestone=True)
    return listing


async def verify_deployment(
    settings: StreamSettings,
    wanted: Iterable[str] = (),
    *,
    progress: Progress = no_progress,
    connect: Callable[[str], Connector] = build_connector,
) -> VerifyResult:
    """Check every selected active flow of the deployment ``settings`` describe.

    ``connect`` builds a system's ``Connector`` (default: from the environment).
    Links are read from each flow's link table (its changelog topic), never
    from the link notices, which anyone may write (DESIGN.md rule 16). Raises
    ``ConfigurationError`` when a link table's topic does not exist: that means
    a wrong app id or broker, not millions of missing links.
    """
    names = TopicNames(settings.app_id)
    active = active_flows(settings)
    checked = pick_flows(active, wanted)
    needed = sorted({*checked, *(d for f in checked.values() for d in f.depends_on)})
    present = await existing_topics(settings.kafka_bootstrap)
    for name in needed:
        topic = names.links_changelog(name)
        if topic not in present:
            msg = (
                f"topic {topic} does not exist: no worker has run flow {name} with "
                f"app id {settings.app_id!r} on {settings.kafka_bootstrap}"
            )
            raise ConfigurationError(msg)
    links: dict[str, LinkPairs] = {}
    for done, name in enumerate(needed):
        progress("reading links", milestone=False, step=(done, len(needed)))
        rows = await read_latest(settings.kafka_bootstrap, names.links_changelog(name))
        links[name] = links_from_table(name, rows)
        progress(f"{name}: {plural(len(links[name]), 'link')}", milestone=True)
    reports = reports_by_flow(
        await read_latest(settings.kafka_bootstrap, names.reports)
    )
    resolve = make_resolver(links)
    systems = sorted({r.system for f in checked.values() for r in (f.source, f.target)})
    checks: list[FlowCheck] = []
    async with AsyncExitStack() as stack:
        connectors = {
            system: await stack.enter_async_context(connect(system))
            for system in systems
        }
        cache: dict[tuple[str, str], Listing] = {}

        async def listing(ref: EntityRef) -> Listing:
            if (ref.system, ref.type) not in cache:
                source = connectors[ref.system].source
                cache[ref.system, ref.type] = await read_listing(
                    source, ref.type, progress
                )
            return cache[ref.system, ref.type]

        for done, flow in enumerate(checked.values()):
            progress("checking flows", milestone=False, step=(done, len(checked)))
            check = check_flow(
                flow,
                links[flow.name],
                await listing(flow.source),
                await listing(flow.target),
                resolve,
                reports.get(flow.name, {}),
            )
            progress(
                f"{flow.name}: {plural(check.links, 'link')} checked, "
                f"{plural(len(check.findings), 'finding')}",
                milestone=True,
            )
            checks.append(check)
        progress("checking flows", milestone=False, step=(len(checked), len(checked)))
    return VerifyResult(app_id=settings.app_id, flows=checks)
