"""Every topic and consumer group of a deployment, and the ACLs its principals need."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas.dataflow import Flow
from streams.control import CONTROL_TABLE, RESYNC_TABLE, control_topic, resync_topic
from streams.grants import grants_topic
from streams.topics import TopicNames

READ = "Read"
WRITE = "Write"
CREATE = "Create"
DESCRIBE = "Describe"
WORKER_RW = (READ, WRITE, CREATE)
"""Read, write and create: a worker creates every topic it uses up front
(``streams.provision``). Read and Write imply Describe in Kafka's authorizer."""

WORKER = "worker"
SUBSCRIBER = "subscriber"
ROLES = (WORKER, SUBSCRIBER)

SUBSCRIBER_GROUPS = "subscriber."
"""Suffix of ``{app}.`` naming the group prefix granted to subscribers' own
consumer groups (tether's tools read without one)."""

FLOW_TABLES = ("links", "reverse", "inhand", "parked")
"""Each flow's faust tables, changelogs ``{app}-{flow}-{table}-changelog``."""


@dataclass(frozen=True)
class TopicUse:
    """One topic: its name, the pattern it is named by, what it carries,
    whether it is compacted, and what each role may do on it."""

    name: str
    pattern: str
    purpose: str
    compacted: bool
    worker: tuple[str, ...]
    subscriber: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupUse:
    """One consumer group (or group prefix) and what each role may do in it."""

    name: str
    pattern: str
    purpose: str
    worker: tuple[str, ...]
    subscriber: tuple[str, ...]
    prefixed: bool = False


@dataclass(frozen=True)
class Acl:
    """One allow rule: a resource (by literal name or prefix) and operations."""

    resource: str  # "topic" or "group": tether needs no cluster ACL
    name: str
    operations: tuple[str, ...]
    prefixed: bool = False


@dataclass(frozen=True)
class Layout:
    """A deployment's topics and groups; the ACLs follow from them."""

    app_id: str
    topics: list[TopicUse]
    groups: list[GroupUse]
    systems: list[str] = field(default_factory=list)

    def acls(self, role: str, *, prefixed: bool = False) -> list[Acl]:
        """The ACLs ``role`` needs: per topic and group (literal), or by the
        deployment's prefixes where those are honest (``prefixed``)."""
        if prefixed:
            return self._prefixed(role)
        found = [
            Acl("topic", t.name, ops)
            for t in self.topics
            if (ops := t.worker if role == WORKER else t.subscriber)
        ]
        found += [
            Acl("group", g.name, ops, prefixed=g.prefixed)
            for g in self.groups
            if (ops := g.worker if role == WORKER else g.subscriber)
        ]
        return found

    def _prefixed(self, role: str) -> list[Acl]:
        app = self.app_id
        if role == WORKER:
            # Wider than the literal list: Write on the commands topics too.
            topics = [
                Acl("topic", f"{app}.", WORKER_RW, prefixed=True),
                Acl("topic", f"{app}-", WORKER_RW, prefixed=True),
            ]
        else:
            # Per system: only entity topics start with "{app}.{system}.".
            topics = [
                Acl("topic", f"{app}.{system}.", (READ,), prefixed=True)
                for system in self.systems
            ]
            topics += [
                Acl("topic", t.name, t.subscriber)
                for t in self.topics
                if t.subscriber and not _is_entity(t)
            ]
        literal = self.acls(role)
        return topics + [a for a in literal if a.resource != "topic"]


def _is_entity(topic: TopicUse) -> bool:
    return topic.pattern == "{app}.{system}.{Type}"


def _deployment_topics(app_id: str, grants: bool) -> list[TopicUse]:
    names = TopicNames(app_id)
    public = (READ,)
    topics = [
        TopicUse(names.deadletters, "{app}.deadletters",
                 "records tether could not process", False, WORKER_RW, public),
        TopicUse(names.redriven, "{app}.deadletters.redriven",
                 "dead letters closed: re-driven, or healed by a worker",
                 True, WORKER_RW, public),
        TopicUse(names.conflicts, "{app}.conflicts",
                 "overridden values, both sides and the winner", False, WORKER_RW,
                 public),
        TopicUse(names.reports, "{app}.reports",
                 "unmatched, ambiguous, unlinked; pauses and resumes", False,
                 WORKER_RW, public),
        TopicUse(names.status, "{app}.status",
                 "each system as the workers last found it", True, WORKER_RW, public),
        TopicUse(names.writes, "{app}.writes",
                 "every write tether made and why (time retention)", False,
                 WORKER_RW, public),
        TopicUse(names.workers, "{app}.workers", "each worker's snapshot", True,
                 WORKER_RW, public),
    ]  # fmt: skip
    if grants:
        topics.append(
            TopicUse(grants_topic(app_id), "{app}.grants",
                     "Crmoffice's rotating grant, sealed (only with "
                     "CRMOFFICE_REFRESH_TOKEN)", True, WORKER_RW)
        )  # fmt: skip
    topics += [
        TopicUse(f"{app_id}-__assignor-__leader", "{app}-__assignor-__leader",
                 "faust's leader election (who polls the sources)", False,
                 (READ, CREATE)),  # subscribed to, never written
        TopicUse(control_topic(app_id), f"{{app}}-{CONTROL_TABLE}-changelog",
                 "paused flows (`tether pause`, breakers)", True, WORKER_RW, public),
        TopicUse(resync_topic(app_id), f"{{app}}-{RESYNC_TABLE}-changelog",
                 "resync requests (`tether resync`)", True, WORKER_RW),
        TopicUse(f"{app_id}-idmap-changelog", "{app}-idmap-changelog",
                 "which id is which on the other side, every flow", True, WORKER_RW),
        TopicUse(f"{app_id}-cursors-changelog", "{app}-cursors-changelog",
                 "each polled type's cursor", True, WORKER_RW),
    ]  # fmt: skip
    return topics


def _flow_topics(app_id: str, flow: str) -> list[TopicUse]:
    names = TopicNames(app_id)
    topics = [
        TopicUse(names.from_target(flow), "{app}.flow.{flow}.from-target",
                 "target-side changes keyed by source id", False, WORKER_RW),
        TopicUse(names.commands(flow), "{app}.flow.{flow}.commands",
                 "operators' commands (`tether unlink`); workers only read",
                 False, (READ, CREATE)),
        TopicUse(names.links(flow), "{app}.flow.{flow}.links",
                 "link notices keyed by target id", True, WORKER_RW),
    ]  # fmt: skip
    purposes = {
        "links": "the flow's link table",
        "reverse": "routes from target id to source id",
        "inhand": "changes in hand (poison guard)",
        "parked": "changes waiting for a reference",
    }
    topics += [
        TopicUse(f"{app_id}-{flow}-{table}-changelog",
                 f"{{app}}-{{flow}}-{table}-changelog", purposes[table], True,
                 WORKER_RW)
        for table in FLOW_TABLES
    ]  # fmt: skip
    return topics


def layout(app_id: str, flows: Iterable[Flow], *, grants: bool = False) -> Layout:
    """Every topic and group a deployment with ``flows`` uses, in a fixed order.

    ``grants``: a system rotates its tokens (Crmoffice with a refresh token), so
    the workers share ``{app}.grants``. Mirrors ``streams.topology.Topology``'s
    topics; a unit test compares the two.
    """
    flows = sorted(flows, key=lambda f: f.name)
    names = TopicNames(app_id)
    topics = _deployment_topics(app_id, grants)
    entities = sorted({(r.system, r.type) for f in flows for r in (f.source, f.target)})
    topics += [
        TopicUse(names.entity(system, type_), "{app}.{system}.{Type}",
                 "one system's entity changes, keyed by id", True, WORKER_RW,
                 (READ,))
        for system, type_ in entities
    ]  # fmt: skip
    for flow in flows:
        topics += _flow_topics(app_id, flow.name)
    groups = [
        GroupUse(app_id, "{app}", "the workers' consumer group (faust)", (READ,),
                 (DESCRIBE,)),
        GroupUse(f"{app_id}.{SUBSCRIBER_GROUPS}", f"{{app}}.{SUBSCRIBER_GROUPS}",
                 "subscribers' own groups (a prefix; tether's tools use none)", (),
                 (READ,), prefixed=True),
    ]  # fmt: skip
    systems = sorted({system for system, _ in entities})
    return Layout(app_id, topics, groups, systems)
