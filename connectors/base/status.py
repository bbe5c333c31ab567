"""The status policy: a data table from HTTP status to what the client does about it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from connectors.errors import (
    AuthenticationError,
    FatalError,
    RateLimitedError,
    RejectedRecordError,
    SyncError,
    TransientError,
)


class Action(StrEnum):
    """What ``HttpClient`` does with a response status."""

    SUCCESS = "success"
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"
    FATAL_AUTH = "fatal_auth"
    FATAL = "fatal"
    REJECT_RECORD = "reject_record"
    NOT_FOUND = "not_found"


STATUS_POLICY: Mapping[int, Action] = MappingProxyType(
    {
        400: Action.REJECT_RECORD,
        401: Action.FATAL_AUTH,
        403: Action.FATAL_AUTH,
        404: Action.NOT_FOUND,
        405: Action.REJECT_RECORD,
        408: Action.RETRY,
        409: Action.REJECT_RECORD,
        410: Action.NOT_FOUND,
        422: Action.REJECT_RECORD,
        425: Action.RETRY,
        429: Action.RATE_LIMITED,
        # 501 says the server will never do this: retrying cannot help.
        501: Action.FATAL,
    }
)
"""Statuses whose action differs from their class default."""

CLASS_POLICY: Mapping[int, Action] = MappingProxyType(
    {
        1: Action.FATAL,
        2: Action.SUCCESS,
        # httpx does not follow redirects for us; a redirect means a wrong base_url.
        3: Action.FATAL,
        4: Action.REJECT_RECORD,
        5: Action.RETRY,
    }
)
"""Defaults per status class (``status // 100``)."""

UNPROCESSED_STATUSES: frozenset[int] = frozenset({408, 425, 429, 503})
"""Statuses that say the server did not act on the request.

Only these are retried for an unsafe (non-idempotent) request; after any other
failure its outcome is unknown and a blind retry could create a duplicate.
"""


@dataclass(frozen=True)
class StatusPolicy:
    """Maps a status to an ``Action``: exact statuses first, then the status class.

    Connectors extend the defaults with ``extend`` rather than subclassing the
    client, e.g. an API that answers 400 for a throttled request.

    Attributes:
        statuses: Exact status -> action.
        classes: Status class (``status // 100``) -> action, for the rest.
        unprocessed: Statuses after which even an unsafe request may be retried.
    """

    statuses: Mapping[int, Action] = field(default_factory=lambda: STATUS_POLICY)
    classes: Mapping[int, Action] = field(default_factory=lambda: CLASS_POLICY)
    unprocessed: frozenset[int] = UNPROCESSED_STATUSES

    def action_for(self, status: int) -> Action:
        """The action for ``status``; anything unknown is fatal."""
        action = self.statuses.get(status)
        if action is not None:
            return action
        return self.classes.get(status // 100, Action.FATAL)

    def extend(
        self,
        statuses: Mapping[int, Action],
        *,
        unprocessed: frozenset[int] | None = None,
    ) -> StatusPolicy:
        """A copy with ``statuses`` added over the table (and ``unprocessed`` added)."""
        merged = MappingProxyType({**self.statuses, **statuses})
        extra = unprocessed or frozenset()
        return StatusPolicy(merged, self.classes, self.unprocessed | extra)


DEFAULT_STATUS_POLICY = StatusPolicy()
"""The policy every client starts from."""


def error_for(
    action: Action,
    where: str,
    status: int,
    system: str,
    *,
    retry_after: float | None = None,
    attempts: int = 1,
    outcome_unknown: bool = False,
) -> SyncError:
    """The error for a final, unsuccessful status.

    Args:
        action: What the policy says about ``status``.
        where: ``"<system> <METHOD> <path>"``, never with the query string.
        status: The HTTP status.
        system: System id, for the settings hint and ``RecordError.system``.
        retry_after: The server's delay hint, carried by transient errors.
        attempts: How many attempts were made.
        outcome_unknown: An unsafe request failed after being sent.
    """
    head = f"{where} -> {status}"
    if action is Action.RATE_LIMITED:
        msg = f"{head}: rate limited after {attempts} attempt(s)"
        return RateLimitedError(msg, retry_after=retry_after)
    if action is Action.RETRY:
        if outcome_unknown:
            msg = f"{head}: outcome unknown, not retried because the request is unsafe"
        else:
            msg = f"{head} after {attempts} attempt(s)"
        return TransientError(msg, retry_after=retry_after)
    if action is Action.FATAL_AUTH:
        msg = f"{head}: credentials refused; check the {system} settings"
        return AuthenticationError(msg)
    if action in (Action.REJECT_RECORD, Action.NOT_FOUND):
        msg = f"{head}: rejected"
        return RejectedRecordError(msg, system=system)
    msg = f"{head}: unexpected status"
    return FatalError(msg)
