"""An operator's unlink of a wrong natural-key match (``tether unlink``).

The command arrives on the flow's own commands topic, keyed by source id, so
the flow handles it in order with that source's changes. The link goes from
the link table, the id map (and, by its unlink notice, from the router's
routes); nothing is written to either system. The pair is remembered in the id
map, so the source's next change does not match that target again by natural
key: it follows the flow's rules otherwise (a new target, or "unmatched").
"""

from __future__ import annotations

import logging
from dataclasses import replace

from engine.control import UnlinkCommand
from engine.linking import link_notice
from engine.ports import FlowPorts
from engine.stores import IdMap, LinkTable
from schemas.dataflow import Flow, TargetMode
from schemas.links import LinkNotice, LinkOp

log = logging.getLogger(__name__)

REFUSED = "(unlinked by an operator)"
"""What a refused target seems linked to while its source looks for a match."""


async def operator_unlink(
    flow: Flow,
    key: str,
    command: UnlinkCommand,
    links: LinkTable,
    idmap: IdMap,
    ports: FlowPorts,
) -> LinkNotice | None:
    """Carry out ``command`` (consumed under ``key``); the unlink notice to
    announce, or ``None`` when nothing was unlinked (reported why)."""
    who = f"by {command.by or 'an operator'}"
    if command.reason:
        who += f" ({command.reason})"
    refused = _refusal(flow, key, command)
    link = links.get(key) if refused is None else None
    if refused is None and (link is None or link.tombstone):
        if command.target_id in idmap.refused(flow.name, key):
            log.info("%s: unlink of %s done already", flow.name, key)
            return None
        refused = f"{key} is not linked: nothing to unlink"
    if refused is None and link is not None and link.target_id != command.target_id:
        refused = (
            f"{key} is linked to {link.target_id}, not {command.target_id} "
            "(changed since the command was given): left alone"
        )
    if refused is not None or link is None:
        detail = f"unlink {who} refused: {refused}"
        await ports.tell(flow.name, "unlink-refused", key, detail)
        return None
    # Remembered before the link goes: a crash in between leaves the refusal,
    # and the command, redelivered, finds the link gone and the pair refused.
    idmap.refuse(flow.name, key, link.target_id)
    links.delete(key)
    detail = (
        f"unlinked {who}: {flow.source.type} {key} <-> {flow.target.type} "
        f"{link.target_id} (linked {link.how} at {link.linked_at.isoformat()}); "
        f"nothing deleted in either system; {link.target_id} is not matched to "
        f"{key} again"
    )
    await ports.tell(flow.name, "unlinked", key, detail)
    return link_notice(flow, link, LinkOp.UNLINK)


def _refusal(flow: Flow, key: str, command: UnlinkCommand) -> str | None:
    """Why a command cannot apply to this flow's key at all, if it cannot."""
    if command.flow != flow.name:
        return f"the command names flow {command.flow!r}"
    if command.source_id != key:
        return f"the message key {key!r} is not the command's source id"
    if flow.target_mode is TargetMode.VALUE_KEYED:
        return "a value-keyed flow's targets are shared; they are not unlinked"
    return None


def refusing(flow: Flow, ports: FlowPorts, idmap: IdMap, source_id: str) -> FlowPorts:
    """``ports`` for a change of ``source_id``: targets an operator unlinked from
    it seem linked to another source, so matching passes them over."""
    refused = set(idmap.refused(flow.name, source_id))
    if not refused:
        return ports
    inner = ports.resolve_reverse

    def resolve_reverse(name: str, target_id: str) -> str | None:
        if name == flow.name and target_id in refused:
            return REFUSED
        return inner(name, target_id)

    return replace(ports, resolve_reverse=resolve_reverse)
