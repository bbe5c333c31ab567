"""The push receiver: verify, parse with the system's entity code, publish or refuse."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.base.entity import spec_for
from connectors.base.webhooks import Delivery
from connectors.errors import InvalidRecordError, TransientError
from connectors.webcrm.entities import ENTITIES
from connectors.webcrm.webhooks import WebcrmWebhookSettings, webhook_spec
from engine.push import PushPorts, PushReceiver
from schemas.envelope import ChangeEvent, DeadLetter, Operation
from standins.webcrm import WebcrmStandIn, seed_webcrm

SECRET = "the-secret"


def read_row(entity: str, row: Any) -> ChangeEvent:
    return spec_for(ENTITIES, "webcrm", entity).to_event("webcrm", row)


class Sink:
    """Answers ``get`` from a dict; ``broken`` ids raise as unreadable."""

    def __init__(self, rows: dict[str, Any], broken: set[str] = frozenset()) -> None:
        self.rows = rows
        self.broken = broken
        self.reads: list[str] = []

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        self.reads.append(record_id)
        if record_id in self.broken:
            msg = f"webcrm {entity} {record_id}: OrganisationName: too long"
            raise InvalidRecordError(
                msg, system="webcrm", entity=entity, record_id=record_id
            )
        row = self.rows.get(record_id)
        return None if row is None else read_row(entity, row)


class Outputs:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.published: list[ChangeEvent] = []
        self.letters: list[DeadLetter] = []

    async def publish(self, events: list[ChangeEvent]) -> None:
        if self.fail:
            msg = "1 of 1 changes not acknowledged by Kafka within 60s"
            raise TransientError(msg)
        self.published.extend(events)

    async def dead_letter(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


@pytest.fixture
def org() -> dict[str, Any]:
    standin = WebcrmStandIn()
    seed_webcrm(standin, organisations=1, persons=0, products=0)
    return standin.records("Organisations")[0]


def receiver(sink: Sink, outputs: Outputs) -> PushReceiver:
    spec = webhook_spec(WebcrmWebhookSettings(secret=SecretStr(SECRET)))
    assert spec is not None
    ports = PushPorts(outputs.publish, outputs.dead_letter)
    return PushReceiver(spec, ["Organisations", "Persons"], read_row, sink, ports)


def hook(org: dict[str, Any], kind: str = "Update", **changes: Any) -> bytes:
    body = {
        "HookId": 1,
        "EventType": kind,
        "EntityType": "Organisations",
        "EntityId": org["OrganisationId"],
        "Entity": org | changes,
    }
    return json.dumps(body).encode()


async def test_a_verified_change_is_published_as_the_poller_would(org):
    outputs = Outputs()
    sink = Sink({})
    answer = await receiver(sink, outputs).receive(Delivery(hook(org), token=SECRET))
    assert answer.status == 200
    (event,) = outputs.published
    polled = read_row("Organisations", org)
    assert (event.id, event.data, event.modified_at) == (
        polled.id,
        polled.data,
        polled.modified_at,
    )
    assert sink.reads == []  # the payload was enough: no API call


@pytest.mark.parametrize("token", ["", "wrong", SECRET + "x", SECRET.upper()])
async def test_a_bad_or_missing_secret_is_refused_and_changes_nothing(org, token):
    outputs = Outputs()
    sink = Sink({})
    answer = await receiver(sink, outputs).receive(Delivery(hook(org), token=token))
    assert answer.status == 401
    assert outputs.published == []
    assert outputs.letters == []
    assert sink.reads == []


async def test_a_replayed_delivery_publishes_the_same_change_again(org):
    outputs = Outputs()
    push = receiver(Sink({}), outputs)
    delivery = Delivery(hook(org), token=SECRET)
    assert (await push.receive(delivery)).status == 200
    assert (await push.receive(delivery)).status == 200
    first, second = outputs.published
    # Same id and time: the flow sees the second as already seen (idempotent).
    assert (first.id, first.modified_at, first.data) == (
        second.id,
        second.modified_at,
        second.data,
    )


@pytest.mark.parametrize("body", [b"", b"{not json", b"[1]", b'{"EventType": 1}'])
async def test_junk_is_a_400(body):
    outputs = Outputs()
    answer = await receiver(Sink({}), outputs).receive(Delivery(body, token=SECRET))
    assert answer.status == 400
    assert outputs.published == []


async def test_a_payload_that_does_not_pass_is_read_by_id(org):
    outputs = Outputs()
    key = str(org["OrganisationId"])
    sink = Sink({key: org})
    body = hook(org, OrganisationName=["not", "text"])
    answer = await receiver(sink, outputs).receive(Delivery(body, token=SECRET))
    assert answer.status == 200
    assert sink.reads == [key]
    assert outputs.published[0].data["OrganisationName"] == org["OrganisationName"]


async def test_a_payload_for_another_id_is_not_trusted(org):
    outputs = Outputs()
    key = str(org["OrganisationId"])
    sink = Sink({key: org})
    body = json.loads(hook(org))
    body["Entity"]["OrganisationId"] = 999999
    answer = await receiver(sink, outputs).receive(
        Delivery(json.dumps(body).encode(), token=SECRET)
    )
    assert answer.status == 200
    assert sink.reads == [key]
    assert [e.id for e in outputs.published] == [key]


async def test_a_record_unreadable_by_id_too_is_dead_lettered_by_system_type_id(org):
    outputs = Outputs()
    key = str(org["OrganisationId"])
    body = hook(org, OrganisationName=["x"])
    answer = await receiver(Sink({}, broken={key}), outputs).receive(
        Delivery(body, token=SECRET)
    )
    assert answer.status == 200
    assert outputs.published == []
    (letter,) = outputs.letters
    assert (letter.system, letter.entity, letter.record_id) == (
        "webcrm",
        "Organisations",
        key,
    )


async def test_a_delete_is_published_only_once_a_read_confirms_it(org):
    key = str(org["OrganisationId"])
    outputs = Outputs()
    gone = Sink({})
    await receiver(gone, outputs).receive(
        Delivery(hook(org, kind="Delete"), token=SECRET)
    )
    (event,) = outputs.published
    assert (event.id, event.op) == (key, Operation.DELETE)
    outputs = Outputs()
    still_there = Sink({key: org})
    await receiver(still_there, outputs).receive(
        Delivery(hook(org, kind="Delete"), token=SECRET)
    )
    (event,) = outputs.published
    assert event.op is Operation.UPSERT  # the read is the truth


async def test_a_type_no_flow_reads_is_ignored(org):
    outputs = Outputs()
    body = json.loads(hook(org))
    body["EntityType"] = "Products"
    body["Entity"] = {"ProductId": 1}
    answer = await receiver(Sink({}), outputs).receive(
        Delivery(json.dumps(body).encode(), token=SECRET)
    )
    assert answer.status == 200
    assert outputs.published == []


async def test_unacknowledged_is_a_503_so_the_sender_retries(org):
    outputs = Outputs(fail=True)
    answer = await receiver(Sink({}), outputs).receive(
        Delivery(hook(org), token=SECRET)
    )
    assert answer.status == 503
