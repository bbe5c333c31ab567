"""The connector base: HTTP client, status policy, retries, paging, source, sink."""

from __future__ import annotations

from connectors.base.auth import Auth, BasicAuth, BearerAuth, HeaderAuth
from connectors.base.client import HttpClient, RetryHint
from connectors.base.entity import (
    MISSING_ID,
    EntitySpec,
    same_value,
    validation_reason,
)
from connectors.base.pagination import (
    CursorPaginator,
    NextLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    Paginator,
    SinglePagePaginator,
    scan,
)
from connectors.base.protocols import BadRecord, Capabilities, Sink, Source, SourcePage
from connectors.base.ratelimit import SlidingWindowLimiter
from connectors.base.records import LocalClock, RecordLimits
from connectors.base.retry import RetryPolicy, parse_retry_after
from connectors.base.settings import ConnectorSettings
from connectors.base.sink import HttpSink
from connectors.base.source import CursorTracker, HttpSource
from connectors.base.status import (
    CLASS_POLICY,
    DEFAULT_STATUS_POLICY,
    STATUS_POLICY,
    UNPROCESSED_STATUSES,
    Action,
    StatusPolicy,
    error_for,
)

__all__ = [
    "CLASS_POLICY",
    "DEFAULT_STATUS_POLICY",
    "MISSING_ID",
    "STATUS_POLICY",
    "UNPROCESSED_STATUSES",
    "Action",
    "Auth",
    "BadRecord",
    "BasicAuth",
    "BearerAuth",
    "Capabilities",
    "ConnectorSettings",
    "CursorPaginator",
    "CursorTracker",
    "EntitySpec",
    "HeaderAuth",
    "HttpClient",
    "HttpSink",
    "HttpSource",
    "LocalClock",
    "NextLinkPaginator",
    "OffsetPaginator",
    "PageNumberPaginator",
    "Paginator",
    "RecordLimits",
    "RetryHint",
    "RetryPolicy",
    "Sink",
    "SinglePagePaginator",
    "SlidingWindowLimiter",
    "Source",
    "SourcePage",
    "StatusPolicy",
    "error_for",
    "parse_retry_after",
    "same_value",
    "scan",
    "validation_reason",
]
