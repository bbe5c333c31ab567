"""A batch the broker refused gives its sequence numbers back; others keep theirs."""

from __future__ import annotations

import asyncio

from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.producer.sender import Sender
from aiokafka.producer.transaction_manager import TransactionManager

from streams.sequences import RewindingSender


class Batch:
    def __init__(self, records: int, outcome: str) -> None:
        self.record_count = records
        self.future = asyncio.get_running_loop().create_future()
        if outcome == "refused":
            self.future.set_exception(MessageSizeTooLargeError())
        elif outcome == "delivered":
            self.future.set_result("metadata")


async def sent(self, node_id, batches) -> None:
    return None


def sender(txn: TransactionManager | None) -> RewindingSender:
    rewinding = object.__new__(RewindingSender)
    rewinding._txn_manager = txn
    return rewinding


async def test_a_refused_batch_gives_its_numbers_back(monkeypatch):
    monkeypatch.setattr(Sender, "_send_produce_req", sent)
    txn = TransactionManager(None, 60_000)
    for tp in ("refused", "delivered", "retried"):
        txn.increment_sequence_number(tp, 10)  # 5 before, 5 in this batch
    batches = {tp: Batch(5, tp) for tp in ("refused", "delivered", "retried")}
    await sender(txn)._send_produce_req(1, batches)
    assert txn.sequence_number("refused") == 5  # the next batch takes its place
    assert txn.sequence_number("delivered") == 10
    assert txn.sequence_number("retried") == 10  # queued again with its numbers
    batches["refused"].future.exception()


async def test_transactional_or_plain_producers_are_left_alone(monkeypatch):
    monkeypatch.setattr(Sender, "_send_produce_req", sent)
    txn = TransactionManager("tx-1", 60_000)
    txn.increment_sequence_number("tp", 10)
    batch = Batch(5, "refused")
    await sender(txn)._send_produce_req(1, {"tp": batch})
    assert txn.sequence_number("tp") == 10
    await sender(None)._send_produce_req(1, {"tp": batch})
    batch.future.exception()
