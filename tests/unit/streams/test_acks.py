"""Sends that count once acknowledged: pages, side channels, oversized messages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka.errors import (
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotEnoughReplicasError,
)
from faust.exceptions import ProducerSendError

from connectors.errors import RejectedRecordError, TransientError
from dataflows import flows_by_name, load_documents
from schemas.dataflow import TargetMode
from schemas.envelope import (
    ChangeEvent,
    ConflictRecord,
    DeadLetter,
    FlowReport,
    Side,
)
from schemas.links import LinkNotice, LinkOp
from streams.acks import EventPublisher, Limits, deliver, notice_sender, too_large
from streams.codecs import fit, message_size

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def event(n: int, **data) -> ChangeEvent:
    return ChangeEvent(
        system="webcrm", entity="Products", id=str(n), data=data or {"n": n},
        modified_at=T0,
    )  # fmt: skip


class FakeTopic:
    """A faust topic whose broker answers are settled by the test."""

    def __init__(self, refuse_send: BaseException | None = None) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.futures: list[asyncio.Future] = []
        self.refuse_send = refuse_send
        self.answer: list[BaseException | None] = []  # settles each send at once

    async def send(self, *, key=None, value=None):
        if self.refuse_send is not None:
            raise self.refuse_send
        future = asyncio.get_running_loop().create_future()
        self.sent.append((key, value))
        self.futures.append(future)
        if self.answer:
            outcome = self.answer.pop(0)
            if outcome is None:
                future.set_result("metadata")
            else:
                future.set_exception(outcome)
        return future


class Letters:
    def __init__(self) -> None:
        self.sent: list[DeadLetter] = []

    async def __call__(self, letter: DeadLetter) -> None:
        self.sent.append(letter)


def publisher(topic: FakeTopic, **limits) -> tuple[EventPublisher, Letters]:
    letters = Letters()
    return EventPublisher({"Products": topic}, Limits(**limits), letters), letters


async def test_a_page_counts_once_every_event_is_acknowledged():
    topic = FakeTopic()
    events, letters = publisher(topic)
    for n in (1, 2):
        await events.publish(event(n))
    flushing = asyncio.ensure_future(events.flush())
    await asyncio.sleep(0.01)
    assert not flushing.done()  # sent is not delivered
    topic.futures[0].set_result("ok")
    await asyncio.sleep(0.01)
    assert not flushing.done()
    topic.futures[1].set_result("ok")
    await flushing
    assert [key for key, _ in topic.sent] == ["1", "2"]
    assert orjson.loads(topic.sent[0][1])["id"] == "1"
    assert letters.sent == []


async def test_a_failed_send_fails_the_flush_so_the_cursor_stays():
    topic = FakeTopic()
    topic.answer = [None, NotEnoughReplicasError("min.insync.replicas")]
    events, letters = publisher(topic)
    await events.publish(event(1))
    await events.publish(event(2))
    with pytest.raises(TransientError, match="Kafka refused 1 of 2 changes"):
        await events.flush()
    assert letters.sent == []
    await events.flush()  # what failed is not carried into the next page


async def test_no_answer_in_time_fails_the_flush():
    topic = FakeTopic()
    events, _ = publisher(topic, ack_timeout=0.05)
    await events.publish(event(1))
    with pytest.raises(TransientError, match="1 of 1 changes not acknowledged"):
        await events.flush()


async def test_a_producer_that_cannot_take_a_change_abandons_the_page():
    topic = FakeTopic(refuse_send=ProducerSendError("metadata"))
    events, _ = publisher(topic)
    with pytest.raises(TransientError, match="webcrm Products 1: not sent"):
        await events.publish(event(1))


async def test_a_change_too_large_for_a_message_is_refused_before_it_is_sent():
    topic = FakeTopic()
    events, _ = publisher(topic, max_bytes=50_000)
    with pytest.raises(RejectedRecordError) as caught:
        await events.publish(event(7, Comment="x" * 60_000))
    error = caught.value
    assert (error.system, error.entity, error.record_id) == ("webcrm", "Products", "7")
    assert "too large for Kafka" in str(error)
    assert "TETHER_MAX_MESSAGE_BYTES" in str(error)
    assert topic.sent == []


async def test_the_producers_own_size_check_is_a_refusal_too():
    wrapped = ProducerSendError("too large")
    wrapped.__cause__ = MessageSizeTooLargeError("1048600 bytes")
    events, _ = publisher(FakeTopic(refuse_send=wrapped))
    with pytest.raises(RejectedRecordError, match="too large for Kafka"):
        await events.publish(event(7))


async def test_a_change_the_broker_refuses_as_too_large_is_dead_lettered():
    topic = FakeTopic()
    topic.answer = [None, MessageSizeTooLargeError("topic max.message.bytes"), None]
    events, letters = publisher(topic)
    for n in (1, 2, 3):
        await events.publish(event(n, Comment="long"))
    await events.flush()  # the page goes on: that change never fits
    [letter] = letters.sent
    assert (letter.system, letter.entity, letter.record_id) == (
        "webcrm",
        "Products",
        "2",
    )
    assert letter.stage == "source"
    assert letter.payload == {"Comment": "long"}
    assert "broker refused it" in letter.reason


def test_sizes_are_told_apart():
    assert too_large(MessageSizeTooLargeError())
    assert not too_large(NotEnoughReplicasError())
    assert not too_large(KafkaTimeoutError())
    assert message_size(b"k", b"v" * 1000) > 1000


def letter(payload) -> DeadLetter:
    return DeadLetter(
        system="webcrm", entity="Products", record_id="7", reason="too large",
        stage="source", error_type="RejectedRecordError", payload=payload,
    )  # fmt: skip


def test_fit_cuts_a_two_megabyte_payload_to_an_excerpt():
    big = {"Comment": "x" * 2_000_000, "ProductId": 7}
    raw = fit(letter(big), 100_000)
    assert len(raw) <= 100_000
    cut = DeadLetter.model_validate_json(raw)
    assert (cut.system, cut.entity, cut.record_id) == ("webcrm", "Products", "7")
    assert cut.payload["truncated_bytes"] > 2_000_000
    assert cut.payload["starts"].startswith('{"Comment":"xxx')


def test_fit_leaves_a_message_that_fits_alone():
    small = letter({"ProductId": 7})
    assert fit(small, 100_000) == orjson.dumps(small.model_dump(mode="json"))


def test_fit_keeps_text_fields_text_and_lists_lists():
    report = FlowReport(
        flow="f", kind="ambiguous", source_id="1", detail="d" * 5_000,
        candidates=[str(n) for n in range(20_000)],
    )  # fmt: skip
    raw = fit(report, 20_000)
    assert len(raw) <= 20_000
    cut = FlowReport.model_validate_json(raw)
    assert (cut.source_id, cut.detail) == ("1", "d" * 5_000)
    assert 1_000 < len(cut.candidates) < 20_000
    assert cut.candidates == [str(n) for n in range(len(cut.candidates))]
    wordy = report.model_copy(update={"detail": "d" * 50_000, "candidates": []})
    cut = FlowReport.model_validate_json(fit(wordy, 20_000))
    assert cut.detail.startswith("ddd")
    assert cut.detail.endswith("... [truncated, 50000 characters]")
    conflict = ConflictRecord(
        flow="f", source_id="1", target_id="2", property="Comment",
        winner=Side.SOURCE, winning_value="w" * 300_000,
        overridden_value="o" * 300_000, source_modified_at=T0,
        target_modified_at=T0, rule="later",
    )  # fmt: skip
    raw = fit(conflict, 100_000)
    assert len(raw) <= 100_000
    assert ConflictRecord.model_validate_json(raw).property == "Comment"


class Sleeps:
    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)


async def test_a_side_channel_send_returns_only_once_acknowledged():
    topic = FakeTopic()
    sending = asyncio.ensure_future(
        deliver(topic, "webcrm/Products/7", letter({"a": 1}), Limits())
    )
    await asyncio.sleep(0.01)
    assert len(topic.sent) == 1
    assert not sending.done()
    topic.futures[0].set_result("ok")
    await sending


async def test_a_side_channel_send_keeps_waiting_past_its_patience():
    topic = FakeTopic()
    limits = Limits(ack_timeout=0.01)
    sending = asyncio.ensure_future(deliver(topic, "k", letter(None), limits))
    await asyncio.sleep(0.1)
    assert not sending.done()  # logged, still waiting: never dropped
    topic.futures[0].set_result("ok")
    await sending
    assert len(topic.sent) == 1


async def test_a_refused_side_channel_send_is_sent_again():
    topic = FakeTopic()
    topic.answer = [NotEnoughReplicasError(), KafkaTimeoutError(), None]
    sleeps = Sleeps()
    await deliver(topic, "k", letter({"a": 1}), Limits(), sleep=sleeps, rng=lambda: 0)
    assert len(topic.sent) == 3
    assert len(sleeps.slept) == 2
    assert all(value == topic.sent[0][1] for _, value in topic.sent)


async def test_a_side_channel_message_is_cut_to_fit_and_cut_further_when_refused():
    topic = FakeTopic()
    topic.answer = [MessageSizeTooLargeError("broker allows less"), None]
    big = letter({"Comment": "x" * 2_000_000})
    await deliver(topic, "k", big, Limits(max_bytes=1_000_000))
    first, second = (value for _, value in topic.sent)
    assert len(first) <= 1_000_000
    assert len(second) <= 125_000
    assert DeadLetter.model_validate_json(second).record_id == "7"


# -- link notices ------------------------------------------------------------------

FLOWS = flows_by_name(load_documents())
ROUTED = next(f for f in FLOWS.values() if f.target_mode is not TargetMode.VALUE_KEYED)
SHARED = next(f for f in FLOWS.values() if f.target_mode is TargetMode.VALUE_KEYED)


def notice(flow: str) -> LinkNotice:
    return LinkNotice(flow=flow, source_id="5006", target_id="P-1002", op=LinkOp.LINK)


async def test_a_routed_notice_goes_out_after_its_changelogs_and_waits_for_its_ack():
    topic, steps = FakeTopic(), []

    async def flush() -> None:
        steps.append(f"flush with {len(topic.sent)} sent")

    announce = notice_sender(topic, ROUTED, flush)
    sent = notice(ROUTED.name)
    sending = asyncio.ensure_future(announce("P-1002", sent))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert steps == ["flush with 0 sent"]
    assert topic.sent == [("P-1002", sent)]
    assert not sending.done()  # the id map remembers only acknowledged notices
    topic.futures[0].set_result("metadata")
    await sending


async def test_a_shared_targets_notice_neither_flushes_nor_waits():
    topic, flushes = FakeTopic(), []

    async def flush() -> None:
        flushes.append(1)

    announce = notice_sender(topic, SHARED, flush)
    await announce("C1/S1", notice(SHARED.name))  # never acknowledged: not awaited
    assert flushes == []
    assert len(topic.sent) == 1
