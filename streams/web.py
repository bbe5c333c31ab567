"""Webhook routes on the worker's web server: one per pushing system.

Only the wiring lives here: ``engine.push.PushReceiver`` verifies, parses and
publishes; this module routes ``POST /hooks/{system}`` (Webcrm:
``/hooks/webcrm/{secret}``) to it, publishes through the same acknowledged
sends as the pollers (``streams.acks.EventPublisher``), and registers Webcrm's
hooks at start.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import faust
from faust.web import Request, Response, View

from connectors.base.settings import load_settings
from connectors.base.sink import HttpSink
from connectors.base.webhooks import Delivery, WebhookSpec
from connectors.errors import ConfigurationError, RecordError, SyncError
from connectors.webcrm.webhooks import WebcrmWebhookSettings, ensure_hooks, hook_target
from engine.delivery import dead_letter, letter_key
from engine.polling import polled_entities
from engine.push import PushPorts, PushReceiver, configured_pushes, row_reader
from schemas.envelope import ChangeEvent, DeadLetter
from streams.acks import EventPublisher, deliver
from streams.settings import StreamSettings
from streams.topology import log_dead_letter

if TYPE_CHECKING:
    from streams.topology import Topology

log = logging.getLogger(__name__)

HOOKS_PREFIX = "/hooks"
REGISTER_RETRY_SECONDS = 30.0


def hook_path(spec: WebhookSpec) -> str:
    """The route of a system's webhooks on the worker's web server."""
    path = f"{HOOKS_PREFIX}/{spec.system}"
    return f"{path}/{{token}}" if spec.path_token else path


def wire_push(
    app: faust.App, settings: StreamSettings, topology: Topology
) -> list[str]:
    """Route each configured system's webhooks; the systems that push.

    Raises:
        ConfigurationError: Push is configured but the web server is off.
    """
    flows = list(topology.flows.values())
    declared = {
        ref.system: topology.connectors.source(ref.system).entities()
        for flow in flows
        for ref in (flow.source, flow.target)
    }
    polled = polled_entities(flows, declared.__getitem__)
    specs = configured_pushes(polled)
    if not specs:
        return []
    if not settings.web_enabled:
        msg = (
            f"webhooks are configured for {', '.join(sorted(specs))} but the web "
            "server is off: set TETHER_WEB_ENABLED=true (and TETHER_WEB_PORT)"
        )
        raise ConfigurationError(msg)
    for system, spec in specs.items():
        receiver = _receiver(topology, spec, polled[system])
        app.page(hook_path(spec), name=f"hooks-{system}")(_view(receiver, topology))
        log.info("push on for %s at %s", system, hook_path(spec).split("{")[0])
    if "webcrm" in specs:
        _register_webcrm_hooks(app, settings, topology, polled["webcrm"])
    return sorted(specs)


def _receiver(
    topology: Topology, spec: WebhookSpec, entities: list[str]
) -> PushReceiver:
    system = spec.system
    topics = {entity: topology.entity_topic(system, entity) for entity in entities}

    async def letter(record: DeadLetter) -> None:
        log_dead_letter(record)
        key = letter_key(record)
        await deliver(
            topology.deadletters, key, record, topology.limits, name="dead letter"
        )

    async def publish(events: list[ChangeEvent]) -> None:
        # One publisher per delivery: its acknowledgements are this answer's.
        publisher = EventPublisher(topics, topology.limits, letter)
        for event in events:
            try:
                await publisher.publish(event)
            except RecordError as exc:  # too large for Kafka: it never will fit
                await letter(dead_letter(exc, stage="source", event=event))
        await publisher.flush()

    source = topology.connectors.source(system)
    sink = topology.connectors.sink(system)
    return PushReceiver(
        spec, entities, row_reader(source, sink), sink, PushPorts(publish, letter)
    )


def _view(receiver: PushReceiver, topology: Topology) -> type[View]:
    class HookView(View):
        """``POST`` a webhook delivery; 2xx once its changes are acknowledged."""

        async def post(self, request: Request, token: str = "") -> Response:
            await topology.connectors.open()
            body = await self.read_request_content(request)
            headers = {k.lower(): v for k, v in request.headers.items()}
            answer = await receiver.receive(Delivery(body, headers, token))
            return self.json({"detail": answer.detail}, status=answer.status)

    return HookView


def _register_webcrm_hooks(
    app: faust.App, settings: StreamSettings, topology: Topology, entities: list[str]
) -> None:
    """At start: Webcrm's hooks for each polled type, created when missing."""
    public_url = settings.public_url
    secret = load_settings(WebcrmWebhookSettings).secret
    if not public_url or secret is None:
        log.warning(
            "webcrm push: TETHER_PUBLIC_URL is not set, hooks are not registered "
            "(register %s/hooks/webcrm/<secret> in Webcrm by hand)",
            public_url or "<public url>",
        )
        return
    target = hook_target(public_url, secret)

    async def register() -> None:
        await topology.connectors.open()
        sink: Any = topology.connectors.sink("webcrm")
        assert isinstance(sink, HttpSink)
        while True:
            try:
                await ensure_hooks(sink.client, target, entities)
                return
            except SyncError as exc:
                # A listing quoted in an error holds TargetUrls, and so the secret.
                reason = str(exc).replace(secret.get_secret_value(), "***")
                log.warning(
                    "webcrm hooks not registered: %s; again in %gs",
                    reason,
                    REGISTER_RETRY_SECONDS,
                )
                await asyncio.sleep(REGISTER_RETRY_SECONDS)

    app.task(register)
