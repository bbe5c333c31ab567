"""``tether verify``: check a running deployment against its flow definitions."""

from __future__ import annotations

from ops.verify.collect import (
    Progress,
    active_flows,
    no_progress,
    pick_flows,
    read_listing,
    verify_deployment,
)
from ops.verify.compare import (
    check_flow,
    check_link,
    links_from_table,
    make_resolver,
    reports_by_flow,
)
from ops.verify.findings import (
    Category,
    Finding,
    FlowCheck,
    Kind,
    Listing,
    VerifyResult,
)
from ops.verify.render import render_json, render_text, summary

__all__ = [
    "Category",
    "Finding",
    "FlowCheck",
    "Kind",
    "Listing",
    "Progress",
    "VerifyResult",
    "active_flows",
    "check_flow",
    "check_link",
    "links_from_table",
    "make_resolver",
    "no_progress",
    "pick_flows",
    "read_listing",
    "render_json",
    "render_text",
    "reports_by_flow",
    "summary",
    "verify_deployment",
]
