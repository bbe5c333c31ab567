"""Push: a verified webhook's changes, published like a poll's (polling stays on).

A webhook is a hint that a record changed, from a sender that was verified
first (``connectors.base.webhooks``): a refused sender gets 401 and changes
nothing. Each notification's record goes through its system's own entity code,
the same checks as a polled record (``EntitySpec.to_event`` then the source's
``check``); a payload that does not pass, a delete, or one without a record is
read by id instead (a delete is published only once a read confirms it). A
record the read cannot use either is dead-lettered naming system, type and id.
The answer is 2xx only once the broker acknowledged every change, so a sender
that gets an error sends again; polling is the safety net for anything a
sender gives up on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from connectors.base.protocols import Sink, Source
from connectors.base.settings import load_settings
from connectors.base.sink import HttpSink
from connectors.base.webhooks import (
    Delivery,
    Notification,
    WebhookRefusedError,
    WebhookSpec,
)
from connectors.chargebee import webhooks as chargebee_hooks
from connectors.customcrm import webhooks as customcrm_hooks
from connectors.customwebshop import webhooks as customwebshop_hooks
from connectors.errors import (
    ConfigurationError,
    InvalidRecordError,
    RecordError,
    TransientError,
)
from connectors.webcrm import webhooks as webcrm_hooks
from engine.delivery import dead_letter
from schemas.envelope import ChangeEvent, DeadLetter, Operation
from schemas.utc import utc_now

log = logging.getLogger(__name__)

RowReader = Callable[[str, Any], ChangeEvent]
"""(entity, raw record) -> its change event, or ``InvalidRecordError``."""


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to one delivery."""

    status: int
    detail: str


@dataclass(frozen=True)
class PushPorts:
    """Where a delivery's changes go.

    Attributes:
        publish: Sends the changes onto their entity topics (keyed by id) and
            returns once the broker acknowledged them all; ``TransientError``
            when it did not.
        dead_letter: Returns once the letter is acknowledged.
    """

    publish: Callable[[list[ChangeEvent]], Awaitable[None]]
    dead_letter: Callable[[DeadLetter], Awaitable[None]]


def row_reader(source: Source, sink: Sink) -> RowReader:
    """A record as the system's source would publish it: to_event, then check.

    Raises:
        ConfigurationError: The sink is not an HTTP sink (no entity specs).
    """
    if not isinstance(sink, HttpSink):
        msg = f"{source.system}: push needs the HTTP sink's entity specs"
        raise ConfigurationError(msg)

    def read(entity: str, row: Any) -> ChangeEvent:
        event = sink.event(sink.spec(entity), row)
        source.check(event)
        return event

    return read


class PushReceiver:
    """One system's webhook deliveries, verified, parsed and published.

    Args:
        spec: How the system pushes (verification and payload).
        entities: The types the worker polls for that system (others ignored).
        read_row: Turns a payload's record into a change (``row_reader``).
        sink: Reads a record by id when the payload cannot be used.
        ports: Publishing and dead letters.
    """

    def __init__(
        self,
        spec: WebhookSpec,
        entities: Collection[str],
        read_row: RowReader,
        sink: Sink,
        ports: PushPorts,
    ) -> None:
        self.spec = spec
        self.system = spec.system
        self._entities = frozenset(entities)
        self._read_row = read_row
        self._sink = sink
        self._ports = ports

    async def receive(self, delivery: Delivery) -> Answer:
        """Verify, parse and publish one delivery; the answer to send back."""
        if not self.spec.verify(delivery):
            # Never log the delivery: a forged one may carry anything.
            log.warning("%s webhook refused: sender not verified", self.system)
            return Answer(401, "sender not verified")
        try:
            notes = self.spec.parse(delivery)
        except WebhookRefusedError as exc:
            log.warning("%s webhook refused: %s", self.system, exc)
            return Answer(exc.status, str(exc))
        events: list[ChangeEvent] = []
        try:
            for note in notes:
                if note.entity not in self._entities:
                    continue  # a type no flow reads: nothing to publish
                event = await self._event(note)
                if event is not None:
                    events.append(event)
            await self._ports.publish(events)
        except TransientError as exc:
            # Not acknowledged, or the record could not be read now: the sender
            # retries (and polling catches up if it gives up).
            log.warning("%s webhook not taken: %s", self.system, exc)
            return Answer(503, "not taken now; send again later")
        if events:
            log.info("%s webhook: published %d changes", self.system, len(events))
        return Answer(200, f"{len(events)} changes published")

    async def _event(self, note: Notification) -> ChangeEvent | None:
        if note.row is not None and not note.deleted:
            try:
                event = self._read_row(note.entity, note.row)
            except InvalidRecordError as exc:
                log.info("%s: payload not usable (%s); reading it", self.system, exc)
            else:
                if event.id == note.record_id:
                    return event
                log.info(
                    "%s %s %s: the payload's record has id %s; reading it",
                    self.system,
                    note.entity,
                    note.record_id,
                    event.id,
                )
        return await self._fetched(note)

    async def _fetched(self, note: Notification) -> ChangeEvent | None:
        """The record as the system has it now, read by id."""
        try:
            current = await self._sink.get(note.entity, note.record_id)
        except RecordError as exc:
            await self._ports.dead_letter(
                dead_letter(
                    exc,
                    stage="source",
                    system=self.system,
                    entity=note.entity,
                    record_id=note.record_id,
                    payload=note.row,
                )
            )
            return None
        if current is not None:
            return current
        if note.deleted:
            return ChangeEvent(
                system=self.system,
                entity=note.entity,
                id=note.record_id,
                op=Operation.DELETE,
                modified_at=utc_now(),
            )
        # Announced but not there (deleted since): its delete speaks for it.
        log.info(
            "%s %s %s: announced, not found", self.system, note.entity, note.record_id
        )
        return None


def configured_pushes(systems: Collection[str]) -> dict[str, WebhookSpec]:
    """The systems among ``systems`` that push, as configured in the environment.

    Only Webcrm, Chargebee and the two custom systems offer webhooks; Membercare,
    Tidsbanken and Crmoffice are polled only.

    Raises:
        ConfigurationError: A webhook setting is invalid.
    """
    builders: dict[str, Callable[[], WebhookSpec | None]] = {
        "webcrm": lambda: webcrm_hooks.webhook_spec(
            load_settings(webcrm_hooks.WebcrmWebhookSettings)
        ),
        "chargebee": lambda: chargebee_hooks.webhook_spec(
            load_settings(chargebee_hooks.ChargebeeWebhookSettings)
        ),
        "customcrm": lambda: customcrm_hooks.webhook_spec(
            load_settings(customcrm_hooks.CustomcrmWebhookSettings)
        ),
        "customwebshop": lambda: customwebshop_hooks.webhook_spec(
            load_settings(customwebshop_hooks.CustomwebshopWebhookSettings)
        ),
    }
    specs = {s: builders[s]() for s in sorted(systems) if s in builders}
    return {system: spec for system, spec in specs.items() if spec is not None}
