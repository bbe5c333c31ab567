"""The one error tree of tether, named by what the caller must do.

::

    SyncError
    ├── ConfigurationError        bad/missing settings -> refuse to start
    │   └── DocumentError         a dataflow document breaks the format -> fix file:line
    ├── TransientError            retry with backoff (retry_after: float | None)
    │   ├── RateLimitedError      429 / Retry-After
    │   └── MalformedResponseError  a read answered 2xx with an unusable body
    ├── FatalError                stop the worker, a human must act
    │   └── AuthenticationError   401/403
    └── RecordError               this record only -> dead-letter, continue
        ├── InvalidRecordError    failed validation or coercion
        │   ├── CoercionError     a value does not fit its row's data type
        │   └── UnreadableMatchError  a search hit a record it cannot read -> report
        ├── RejectedRecordError   target said 400/404/405/409/422
        └── UnresolvedReferenceError  a referenced entity has no link (yet)

Messages name system, type and id, and never carry credentials, request bodies
or query strings. ``unusable_answer`` is the one rule for a 2xx body that cannot
be used: a read is asked again, a write's answer stops the worker.
"""

from __future__ import annotations

from typing import Any


class SyncError(Exception):
    """Base of every error tether raises on purpose."""


class ConfigurationError(SyncError):
    """Settings are missing or wrong: refuse to start, say what to set."""


class DocumentError(ConfigurationError):
    """A dataflow document does not follow the format; names the file and line.

    Args:
        message: What is wrong, without the location.
        path: The document's file.
        line: The 1-based line the problem is on.
    """

    def __init__(self, message: str, *, path: str, line: int) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


class TransientError(SyncError):
    """Worth retrying later; ``retry_after`` is the server's hint in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimitedError(TransientError):
    """The system said 429: wait ``retry_after`` seconds, then retry."""


class MalformedResponseError(TransientError):
    """A read answered 2xx with a body tether cannot use: read it again later.

    An HTML error page with status 200, truncated or non-JSON text, or JSON of the
    wrong shape. The server may well send a proper page next time
    (``unusable_answer`` decides). Handled as any ``TransientError`` (a sink's
    read is retried in place), except by the poll (``engine.ingest``), which
    keeps its cursor (nothing is skipped) and dead-letters the page once for the
    operator to see. ``excerpt`` holds the first bytes of the body, never
    headers or the query.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        content_type: str = "",
        excerpt: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.content_type = content_type
        self.excerpt = excerpt


class FatalError(SyncError):
    """Retrying cannot help: stop the worker, a human must act."""


class AuthenticationError(FatalError):
    """Credentials were refused (401/403)."""


class RecordError(SyncError):
    """Only this record is bad: dead-letter it and go on with the rest.

    Carries the coordinates an operator needs to find the record.
    """

    def __init__(
        self, message: str, *, system: str = "", entity: str = "", record_id: str = ""
    ) -> None:
        super().__init__(message)
        self.system = system
        self.entity = entity
        self.record_id = record_id


class InvalidRecordError(RecordError):
    """The record failed validation or type coercion."""


class CoercionError(InvalidRecordError):
    """A value cannot be turned into the data type its row asks for.

    Costs the one record that holds the value, like any invalid record.
    """


class UnreadableMatchError(InvalidRecordError):
    """A natural-key search matched a record that fails validation.

    Neither "no match" nor a match: creating would make a duplicate of the
    record tether cannot read, linking would link to it blind. The caller
    reports it and leaves the record alone. The coordinates are the first
    unreadable record's; ``found`` holds the readable matches (whatever the
    search returns), ``unreadable`` every unreadable id with its reason.
    """

    def __init__(
        self,
        message: str,
        *,
        system: str = "",
        entity: str = "",
        record_id: str = "",
        found: list[Any] | None = None,
        unreadable: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, system=system, entity=entity, record_id=record_id)
        self.found = found or []
        self.unreadable = unreadable or {}


class RejectedRecordError(RecordError):
    """The target system refused the write (400/404/405/409/422)."""


class UnresolvedReferenceError(RecordError):
    """The record points at an entity that has no link in the referenced flow."""


def unusable_answer(
    method: str,
    message: str,
    *,
    status: int | None = None,
    content_type: str = "",
    excerpt: str = "",
) -> MalformedResponseError | FatalError:
    """The error for a 2xx answer whose body tether cannot use: the one rule.

    A read (``GET``) changed nothing, so it is asked again later
    (``MalformedResponseError``, keeping the details for the dead letter). The
    answer to a write is a ``FatalError``: the write may have happened, so
    repeating it blindly is unsafe, and a web page answering an API call
    usually means a wrong ``base_url``.

    Args:
        method: The request's HTTP method.
        message: Names system, method and path; never the query or a body.
        status: The response's status code, when there was a response.
        content_type: The response's ``Content-Type``.
        excerpt: The first bytes of the body, for the operator.
    """
    if method.upper() == "GET":
        return MalformedResponseError(
            message, status=status, content_type=content_type, excerpt=excerpt
        )
    return FatalError(message)
