"""The one error tree of tether, named by what the caller must do.

::

    SyncError
    ├── ConfigurationError        bad/missing settings -> refuse to start
    ├── TransientError            retry with backoff (retry_after: float | None)
    │   ├── RateLimitedError      429 / Retry-After
    │   └── MalformedResponseError  a listing answered 2xx with an unusable body
    ├── FatalError                stop the worker, a human must act
    │   └── AuthenticationError   401/403
    └── RecordError               this record only -> dead-letter, continue
        ├── InvalidRecordError    failed validation or coercion
        ├── RejectedRecordError   target said 400/404/405/409/422
        └── UnresolvedReferenceError  a referenced entity has no link (yet)

Messages name system, type and id, and never carry credentials, request bodies
or query strings.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error tether raises on purpose."""


class ConfigurationError(SyncError):
    """Settings are missing or wrong: refuse to start, say what to set."""


class TransientError(SyncError):
    """Worth retrying later; ``retry_after`` is the server's hint in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimitedError(TransientError):
    """The system said 429: wait ``retry_after`` seconds, then retry."""


class MalformedResponseError(TransientError):
    """A listing answered 2xx with a body tether cannot use: read the same page later.

    An HTML error page with status 200, truncated or non-JSON text, or JSON of the
    wrong shape. The server may well send a proper page next time, so the poll
    keeps its cursor (nothing is skipped) and the page is dead-lettered once for
    the operator to see. ``excerpt`` holds the first bytes of the body, never
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


class RejectedRecordError(RecordError):
    """The target system refused the write (400/404/405/409/422)."""


class UnresolvedReferenceError(RecordError):
    """The record points at an entity that has no link in the referenced flow."""
