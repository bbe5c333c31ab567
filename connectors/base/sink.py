"""``HttpSink``: shared parts of a sink whose entity types are declared as data."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar
from urllib.parse import quote

from connectors.base.client import HttpClient
from connectors.base.entity import EntitySpec, spec_for
from connectors.base.protocols import Capabilities
from connectors.base.settings import ConnectorSettings
from connectors.errors import InvalidRecordError, RecordError, RejectedRecordError
from schemas.envelope import ChangeEvent

logger = logging.getLogger(__name__)


def require_operation(
    capabilities: Capabilities,
    system: str,
    entity: str,
    operation: str,
    record_id: str = "",
) -> None:
    """Refuse an operation the API does not offer for a type.

    Raises:
        RejectedRecordError: ``operation`` (create/update/delete) is not allowed.
    """
    if not getattr(capabilities, operation):
        which = record_id or "(new)"
        msg = f"{system} {entity} {which}: the API cannot {operation} it"
        raise RejectedRecordError(
            msg, system=system, entity=entity, record_id=record_id
        )


@contextmanager
def record_context(system: str, entity: str, record_id: str = "") -> Iterator[None]:
    """Fill in system, entity and id on any ``RecordError`` raised inside."""
    try:
        yield
    except RecordError as exc:
        exc.system = exc.system or system
        exc.entity = exc.entity or entity
        exc.record_id = exc.record_id or record_id
        raise


def item_path(collection: str, record_id: str) -> str:
    """The path of one record under its collection, the id escaped (``/`` too)."""
    return f"{collection}/{quote(record_id, safe='')}"


def matching_events(
    rows: Iterable[Any],
    hit: Callable[[Any], bool],
    event: Callable[[Any], ChangeEvent],
) -> list[ChangeEvent]:
    """The ``rows`` that ``hit`` accepts, as events, for ``Sink.find``.

    A match that fails validation is logged and left out: ``find`` looks for a
    record to link to, and one tether cannot read is no use for that.
    """
    matches: list[ChangeEvent] = []
    for row in rows:
        if not hit(row):
            continue
        try:
            matches.append(event(row))
        except InvalidRecordError as exc:
            logger.warning("skipping a match that fails validation: %s", exc)
    return matches


class HttpSink:
    """Capabilities from the specs, parsing, and record coordinates on errors.

    Subclasses declare ``system`` and ``specs`` and implement the ``Sink``
    methods ``get``, ``find``, ``create``, ``update`` and ``delete``.

    Args:
        client: The system's client, shared with its source.
        settings: The connector's settings.
    """

    system: ClassVar[str]
    specs: ClassVar[tuple[EntitySpec, ...]]

    def __init__(self, client: HttpClient, settings: ConnectorSettings) -> None:
        self.client = client
        self.settings = settings

    def spec(self, entity: str) -> EntitySpec:
        """The declaration of ``entity``; ``ConfigurationError`` if unknown."""
        return spec_for(self.specs, self.system, entity)

    def capabilities(self, entity: str) -> Capabilities:
        """What the API allows for ``entity``."""
        return self.spec(entity).capabilities

    def event(self, spec: EntitySpec, row: Any) -> ChangeEvent:
        """A record the API returned, as a ``ChangeEvent`` (``InvalidRecordError``)."""
        return spec.to_event(self.system, row)

    def require(self, spec: EntitySpec, operation: str, record_id: str = "") -> None:
        """Refuse an operation the API does not offer for this type.

        Raises:
            RejectedRecordError: ``operation`` (create/update/delete) is not allowed.
        """
        require_operation(
            spec.capabilities, self.system, spec.name, operation, record_id
        )

    def about(
        self, spec: EntitySpec, record_id: str = ""
    ) -> AbstractContextManager[None]:
        """Fill in entity and id on any ``RecordError`` raised inside."""
        return record_context(self.system, spec.name, record_id)
