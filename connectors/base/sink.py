"""``HttpSink``: shared parts of a sink whose entity types are declared as data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from connectors.base.client import HttpClient
from connectors.base.entity import EntitySpec, spec_for
from connectors.base.protocols import Capabilities
from connectors.base.settings import ConnectorSettings
from connectors.errors import RecordError, RejectedRecordError
from schemas.envelope import ChangeEvent


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
        if not getattr(spec.capabilities, operation):
            which = record_id or "(new)"
            msg = f"{self.system} {spec.name} {which}: the API cannot {operation} it"
            raise RejectedRecordError(
                msg, system=self.system, entity=spec.name, record_id=record_id
            )

    @contextmanager
    def about(self, spec: EntitySpec, record_id: str = "") -> Iterator[None]:
        """Fill in entity and id on any ``RecordError`` raised inside."""
        try:
            yield
        except RecordError as exc:
            exc.system = exc.system or self.system
            exc.entity = exc.entity or spec.name
            exc.record_id = exc.record_id or record_id
            raise
