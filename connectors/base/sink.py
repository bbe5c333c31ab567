"""``HttpSink``: shared parts of a sink whose entity types are declared as data."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import quote

from connectors.base._bound import SystemBound
from connectors.base.entity import EntitySpec, same_value
from connectors.base.fresh import FreshRead, Read
from connectors.base.protocols import Capabilities
from connectors.errors import (
    InvalidRecordError,
    RecordError,
    RejectedRecordError,
    SyncError,
    TransientError,
    UnreadableMatchError,
)
from schemas.envelope import ChangeEvent, Operation
from schemas.paths import get_value
from schemas.utc import utc_now

logger = logging.getLogger(__name__)


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


class HttpSink(SystemBound):
    """Capabilities from the specs, parsing, finding, and record coordinates on errors.

    Subclasses declare ``system`` and ``specs`` and implement ``create`` and
    ``update``; ``get`` (``GET {path}/{id}``) and ``delete`` (``DELETE
    {path}/{id}``, where the type allows it) have defaults, and ``matching``
    serves every ``find``.

    Args:
        client: The system's client, shared with its source.
        settings: The connector's settings.

    Raises:
        ConfigurationError: ``client`` belongs to another system.
    """

    def capabilities(self, entity: str) -> Capabilities:
        """What the API allows for ``entity``."""
        return self.spec(entity).capabilities

    def event(self, spec: EntitySpec, row: Any) -> ChangeEvent:
        """A record the API returned, as a ``ChangeEvent`` (``InvalidRecordError``).

        A type without modification times is stamped with now: this is its
        state as of now.
        """
        clock = self.settings.clock(spec.name)
        return spec.to_event(self.system, row, clock=clock, observed=utc_now())

    def writable(self, entity: str, operation: str, record_id: str = "") -> EntitySpec:
        """The declaration of ``entity``, once ``operation`` is known to be allowed.

        Raises:
            ConfigurationError: The system has no such entity type.
            RejectedRecordError: The API does not offer ``operation`` for it.
        """
        spec = self.spec(entity)
        self.require(spec, operation, record_id)
        return spec

    async def write(
        self, spec: EntitySpec, method: str, path: str, **options: Any
    ) -> ChangeEvent:
        """Send a write whose answer is the record as now stored, and read it.

        Args:
            spec: The entity type.
            method: HTTP method.
            path: Path relative to the client's ``base_url``.
            **options: ``HttpClient.request`` arguments (``body``, ``headers``,
                ``idempotent``, ``params``).
        """
        response = await self.client.request(method, path, **options)
        return self.event(spec, self.client.decode_json(response))

    def require(self, spec: EntitySpec, operation: str, record_id: str = "") -> None:
        """Refuse an operation the API does not offer for this type.

        Raises:
            RejectedRecordError: ``operation`` (create/update/delete) is not allowed.
        """
        if not getattr(self.capabilities(spec.name), operation):
            which = record_id or "(new)"
            msg = f"{self.system} {spec.name} {which}: the API cannot {operation} it"
            raise RejectedRecordError(
                msg, system=self.system, entity=spec.name, record_id=record_id
            )

    def about(
        self, spec: EntitySpec, record_id: str = ""
    ) -> AbstractContextManager[None]:
        """Fill in entity and id on any ``RecordError`` raised inside."""
        return record_context(self.system, spec.name, record_id)

    @staticmethod
    def item(spec: EntitySpec, record_id: str, action: str = "") -> str:
        """The path of one record (plus an action such as ``/delete``)."""
        return item_path(spec.path, record_id) + action

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        """The current state, or ``None``; a soft-deleted record is a delete event."""
        spec = self.spec(entity)
        with self.about(spec, record_id):
            row = await self.read_row(spec, record_id)
            return None if row is None else self.event(spec, row)

    async def read_row(self, spec: EntitySpec, record_id: str) -> Any | None:
        """The raw record (``GET {path}/{id}``), or ``None`` when there is none."""
        if spec.integer_ids and not record_id.isdigit():
            return None  # integer ids: nothing else can exist
        return await self.client.get_json_optional(self.item(spec, record_id))

    async def current(self, spec: EntitySpec, record_id: str) -> dict[str, Any]:
        """The raw record an update starts from.

        Raises:
            RejectedRecordError: It does not exist.
        """
        row = await self.read_row(spec, record_id)
        if not isinstance(row, dict):
            msg = f"{self.system} {spec.name} {record_id}: does not exist"
            raise RejectedRecordError(
                msg, system=self.system, entity=spec.name, record_id=record_id
            )
        return row

    def fresh_read(
        self,
        spec: EntitySpec,
        record_id: str,
        changes: Mapping[str, Any],
        expected: ChangeEvent | None,
        read: Read | None = None,
    ) -> FreshRead:
        """The record read right before each attempt of a write (``fresh``).

        Args:
            spec: The record's type.
            record_id: The record.
            changes: What the write sets.
            expected: The state the caller decided the write against.
            read: Reads the raw record; default ``current`` (which refuses a
                record that does not exist).
        """

        async def current() -> Any:
            return await self.current(spec, record_id)

        return FreshRead(
            system=self.system,
            spec=spec,
            record_id=record_id,
            changes=changes,
            expected=expected,
            read=read or current,
            to_event=lambda row: self.event(spec, row),
        )

    async def delete(self, entity: str, record_id: str) -> None:
        """Delete where the type allows it; an entity already gone counts as deleted."""
        spec = self.writable(entity, "delete", record_id)
        with self.about(spec, record_id):
            await self.client.request_optional("DELETE", self.item(spec, record_id))

    async def matching(
        self,
        spec: EntitySpec,
        pages: AsyncIterable[tuple[list[Any], Any]],
        field_path: str,
        value: Any,
        hit: Callable[[Any], bool] | None = None,
    ) -> list[ChangeEvent]:
        """The live records of a listing whose ``field_path`` equals ``value``.

        ``hit`` decides instead of the plain comparison when given. A deleted
        match is no match. A match that fails validation is neither a match nor
        its absence: ``find`` looks for a record to link to before creating one,
        and reading an unreadable record as "none" would create a duplicate of
        it. The whole listing is read, then ``UnreadableMatchError`` carries the
        readable matches and the unreadable ones for the caller to report.

        Args:
            spec: The entity type.
            pages: The listing, as ``scan`` yields it.
            field_path: A dotted path into the raw record.
            value: The wanted value (``same_value`` semantics).
            hit: Whether a raw record matches, instead of the comparison.

        Raises:
            UnreadableMatchError: A live record matches but fails validation.
        """

        def same(row: Any) -> bool:
            return same_value(get_value(row, field_path), value)

        matches: list[ChangeEvent] = []
        unreadable: dict[str, str] = {}
        async for rows, _ in pages:
            for row in rows:
                if not (hit or same)(row) or self._deleted_raw(spec, row):
                    continue
                try:
                    event = self.event(spec, row)
                except InvalidRecordError as exc:
                    unreadable[spec.record_id(row)] = str(exc)
                    continue
                if event.op is Operation.UPSERT:
                    matches.append(event)
        if unreadable:
            first, reason = next(iter(unreadable.items()))
            msg = (
                f"{self.system} {spec.name}: {len(unreadable)} record(s) with "
                f"{field_path} = {value!r} fail validation, so whether one is a "
                f"match is unknown ({reason})"
            )
            raise UnreadableMatchError(
                msg,
                system=self.system,
                entity=spec.name,
                record_id=first,
                found=matches,
                unreadable=unreadable,
            )
        return matches

    @staticmethod
    def _deleted_raw(spec: EntitySpec, row: Any) -> bool:
        """Whether a raw record says it is soft-deleted (read leniently)."""
        flag = spec.deleted_field
        return flag is not None and isinstance(row, dict) and row.get(flag) is True

    async def create_once(
        self,
        entity: str,
        record_id: str,
        post: Callable[[], Awaitable[ChangeEvent]],
        *,
        look_first: bool = True,
        settles: tuple[type[SyncError], ...] = (TransientError, RejectedRecordError),
    ) -> ChangeEvent:
        """Create a record under an id the client chose, never twice.

        A live record holding the id already is the result (a replay of an
        earlier create); so is one found after ``post`` failed with one of
        ``settles`` (a lost answer, or "already exists").

        Args:
            entity: The entity type.
            record_id: The id the create asks for.
            post: Sends the create; returns the created record.
            look_first: Look the id up before posting.
            settles: The errors a look-up settles.
        """
        if look_first:
            existing = await self.get(entity, record_id)
            if existing is not None and existing.op is Operation.UPSERT:
                return existing
        try:
            return await post()
        except settles:
            existing = await self.get(entity, record_id)
            if existing is None or existing.op is not Operation.UPSERT:
                raise
            logger.info(
                "%s %s %s already exists; using it", self.system, entity, record_id
            )
            return existing
