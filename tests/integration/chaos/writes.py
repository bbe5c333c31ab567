"""What the writes tether made say: echoes, retries of lost writes, deletes.

Within a phase each entity is edited on one side only, its owner's (see
``storm``): tether's business is to write the other side. So a write of any
kind (an update that changes a value or not, a create, a delete) on the
owner's side is an echo. On the other side, a write that changed nothing is
an echo too, unless it repeats, with the same body, a write whose answer was
lost (a 502 from the knobs: applied, but the client could not know): one
lost answer excuses one repeat, the next write on that record, and nothing
later. A create where tether never creates (the flows' sources) is an echo;
a delete anywhere else is a deleted record: nothing in a run warrants one
(counted here only for records the systems check does not already watch).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.integration.chaos.invariants import Verdict
from tests.integration.chaos.model import KINDS, Expected
from tests.integration.chaos.observe import CallLog, WriteCall, applied

# (system, resource) where the flows create records: their targets.
CREATED_IN = frozenset(("customcrm", kind.customcrm) for kind in KINDS)


@dataclass(frozen=True)
class Ownership:
    """(system, resource, id) of each record -> the side its edits come from.

    Entities edited on both sides on purpose (the storm's conflicts) have no
    owner: tether rightly writes to either side of them.
    """

    sides: Mapping[tuple[str, str, Any], str] = field(default_factory=dict)

    def owner(self, system: str, resource: str, key: Any) -> str | None:
        return self.sides.get((system, resource, key))


def check_writes(
    logs: Mapping[str, CallLog],
    ownership: Ownership,
    expected: Expected,
    since: float,
) -> Verdict:
    """Echoes and deletes among the writes answered since ``since``."""
    verdict = Verdict()
    watched = watched_records(expected)
    for system, log in sorted(logs.items()):
        _check_log(system, log.calls(), ownership, since, watched, verdict)
    return verdict


def watched_records(expected: Expected) -> set[tuple[str, str, Any]]:
    """Records whose deletion ``check_systems`` reports (seeded sources, known
    counterparts), as (system, resource, id)."""
    watched: set[tuple[str, str, Any]] = set()
    for kind in KINDS:
        watched |= {("webcrm", kind.webcrm, i) for i in expected.sources.get(kind, {})}
        watched |= {
            ("customcrm", kind.customcrm, i) for i in expected.targets.get(kind, set())
        }
    return watched


def _check_log(
    system: str,
    calls: list[WriteCall],
    ownership: Ownership,
    since: float,
    watched: set[tuple[str, str, Any]],
    verdict: Verdict,
) -> None:
    # Per record: the write whose answer was lost, until the next applied one.
    lost: dict[tuple[str, Any], WriteCall] = {}
    for call in calls:
        if not applied(call.status):
            continue  # a failed attempt: a pending lost answer stays pending
        where = (call.resource, call.key)
        pending = lost.pop(where, None) if call.key is not None else None
        if call.status == 502 and call.key is not None:
            lost[where] = call
        if call.at < since:
            continue
        said = f"{system} {call.method} {call.resource}/{call.key} ({call.status})"
        if ownership.owner(system, call.resource, call.key) == system:
            verdict.fail("echo_writes", f"{said}: on the side its edits come from")
        elif call.method == "POST":
            if (system, call.resource) not in CREATED_IN:
                verdict.fail("echo_writes", f"{said}: a create in a flow's source")
        elif call.method == "DELETE":
            if (system, call.resource, call.key) not in watched:
                verdict.fail("deleted_records", f"{said}: nothing in a run deletes")
        elif call.changed is False:
            if pending is not None and pending.request == call.request:
                verdict.retries += 1
            else:
                why = "" if pending is None else ", and is no repeat of the lost write"
                verdict.fail("echo_writes", f"{said}: changed nothing{why}")
