"""``tether unlink``: an operator's command to undo a wrong natural-key match,
carried out by the flow itself (``engine.unlinking``)."""

from __future__ import annotations

import asyncio
import time

from engine.control import UnlinkCommand
from ops.links import read_links
from schemas.dataflow import Flow
from streams.control import send_unlink
from streams.settings import StreamSettings


async def unlink(
    settings: StreamSettings,
    flow: Flow,
    entity_id: str,
    *,
    reason: str,
    by: str,
    wait_seconds: float,
) -> tuple[str, int]:
    """Send the unlink of ``entity_id`` (a source or target id); wait up to
    ``wait_seconds`` for the flow to carry it out. Text and exit code."""
    found = await read_links(settings, flow)
    link, _ = found.find(entity_id)
    if link is None or link.tombstone:
        return f"{flow.name}: {entity_id} is not linked; nothing to unlink\n", 1
    command = UnlinkCommand(
        command="unlink",
        flow=flow.name,
        source_id=link.source_id,
        target_id=link.target_id,
        reason=reason,
        by=by,
    )
    await send_unlink(settings, command)
    pair = (
        f"{flow.source.type} {link.source_id} <-> {flow.target.type} {link.target_id}"
    )
    sent = f"sent the unlink of {pair} (linked {link.how}) to {flow.name}\n"
    if wait_seconds <= 0:
        return sent, 0
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        now, _ = (await read_links(settings, flow)).find(link.source_id)
        if now is None or now.target_id != link.target_id or now.tombstone:
            done = (
                f"unlinked {pair}: nothing deleted in either system; the next "
                f"change of {link.source_id} does not match {link.target_id} again\n"
            )
            return sent + done, 0
    late = (
        f"not carried out within {wait_seconds:.0f}s (is a worker running the flow?);"
        f" it will be once a worker reads it: see `tether links {flow.name} "
        f"{link.source_id}`\n"
    )
    return sent + late, 1
