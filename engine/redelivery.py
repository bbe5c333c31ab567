"""What a redelivered event must make up for: a link notice lost in a crash.

A flow stores a new link in its table, then announces it on the links topic
(the router sends target-side changes by it; the id map resolves references by
it). A worker killed in between leaves a link whose notice never went out; the
redelivered event then finds the link, is recognised as already processed, and
without this check nothing would ever announce it: target-side edits of that
entity would wait forever and references to it would never resolve.

The worker remembers an id pair only after the broker acknowledged its notice
(before, the pair is only pending, which ``resolve`` does not see), so a link
whose pair is not remembered is exactly a link whose notice may be lost, and
announcing it again is harmless (notices are idempotent).
"""

from __future__ import annotations

from engine.mapping import Resolver
from schemas.dataflow import Flow, TargetMode
from schemas.links import Link, LinkNotice, LinkOp


def lost_notice(flow: Flow, link: Link | None, resolve: Resolver) -> LinkNotice | None:
    """The notice to send again for ``link``, or None when its pair is known."""
    if link is None or flow.target_mode is TargetMode.VALUE_KEYED:
        return None  # value-keyed links are never announced (shared targets)
    if link.tombstone:
        return None  # no link: its target was deleted (its unlink went out)
    if resolve(flow.name, link.source_id) == link.target_id:
        return None
    return LinkNotice(
        flow=flow.name,
        source_id=link.source_id,
        target_id=link.target_id,
        op=LinkOp.LINK,
    )
