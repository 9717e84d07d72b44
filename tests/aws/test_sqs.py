"""The SQS standard queue model with its dead-letter queue.

Each test names the AWS behaviour it pins; sources are in ../shared/reference/aws-semantics.md
section 3 and the AWS pages cited there.
"""

from __future__ import annotations

import pytest
import simpy

from chaos._aws.sqs import Queue
from chaos._ledger import DeadLettered, Deleted, DeleteMissed, Expired, Ledger, Received

DAY = 86_400.0


def queues(
    env: simpy.Environment,
    ledger: Ledger,
    *,
    visibility: float = 30.0,
    retention: float = 4 * DAY,
    dlq_retention: float = 14 * DAY,
    max_receive_count: int | None = 3,
    delay: float = 0.0,
) -> tuple[Queue, Queue]:
    dlq = Queue(
        env, ledger, "dlq", visibility_timeout=30.0, retention=dlq_retention, horizon=30 * DAY
    )
    source = Queue(
        env,
        ledger,
        "source",
        visibility_timeout=visibility,
        retention=retention,
        horizon=30 * DAY,
        delay=delay,
        dead_letter=dlq if max_receive_count is not None else None,
        max_receive_count=max_receive_count,
    )
    return source, dlq


def test_a_received_message_is_invisible_for_the_visibility_timeout() -> None:
    """A received message stays invisible for the visibility timeout, then becomes visible
    again if nobody deleted it. Source: aws-semantics.md 3.1 "Visibility timeout",
    [DOC] working-with-visibility-timeouts."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger, visibility=30.0)
    source.send("r1", "{}")
    assert len(source.receive(10)) == 1
    assert source.visible == 0 and source.in_flight == 1
    env.run(until=29.999)
    assert source.receive(10) == []
    env.run(until=30.0001)
    assert [d.request_id for d in source.receive(10)] == ["r1"]


def test_each_receive_raises_the_receive_count() -> None:
    """Every receive increments ApproximateReceiveCount, and each receive gets a new receipt.
    Source: aws-semantics.md 3.1, 3.2 "Each receive gives a new receipt handle"."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger, visibility=10.0, max_receive_count=None)
    source.send("r1", "{}")
    deliveries = []
    for _ in range(3):
        deliveries.extend(source.receive(1))
        env.run(until=env.now + 10.001)
    assert [d.receive_count for d in deliveries] == [1, 2, 3]
    assert len({d.receipt for d in deliveries}) == 3
    assert [r.receive_count for r in ledger.of(Received)] == [1, 2, 3]


def test_moves_to_the_dlq_on_the_receive_after_max_receive_count() -> None:
    """With maxReceiveCount = N the message is delivered N times and moves to the DLQ on the
    next receive; each redelivery waits the visibility timeout. Source: aws-semantics.md 3.4
    "With maxReceiveCount = 5, the message is delivered 5 times and moves on the next
    receive", [DOC] sqs-dead-letter-queues; 10 (moto checks at receive too)."""
    env, ledger = simpy.Environment(), Ledger()
    source, dlq = queues(env, ledger, visibility=30.0, max_receive_count=3)
    source.send("r1", "{}")
    received_at = []
    for _ in range(4):
        deliveries = source.receive(10)
        if deliveries:
            received_at.append(env.now)
        env.run(until=env.now + 30.0)
        assert source.receive(10) == [], "invisible until the timeout has passed"
        env.run(until=env.now + 0.001)
    assert received_at == pytest.approx([0.0, 30.001, 60.002])
    (moved,) = ledger.of(DeadLettered)
    assert (moved.request_id, moved.receive_count) == ("r1", 3)
    assert moved.t == pytest.approx(90.003)
    assert source.live == {} and list(dlq.live) == [moved.message_id]
    assert [d.request_id for d in dlq.receive(10)] == ["r1"], "a DLQ message is receivable"


def test_a_message_moved_to_the_dlq_keeps_its_receive_count() -> None:
    """Moving a message to the DLQ does not reset ApproximateReceiveCount: the first receive
    from the DLQ reports maxReceiveCount + 1. AWS documents no reset on the move and treats
    the moved message as the same message (a standard DLQ keeps its original enqueue
    timestamp, sqs-dead-letter-queues); only a redrive *out of* the DLQ makes new messages
    ("All redriven messages are considered new messages", with a new messageID and
    enqueueTime: sqs-configure-dead-letter-queue-redrive). Observed on AWS: aws/aws-sdk-js
    issue 3227, a message "sent to dlq with ReceiveCount property set to 3" under
    maxReceiveCount 3, as the SQS console showed it. moto agrees (it keeps the count)."""
    env, ledger = simpy.Environment(), Ledger()
    source, dlq = queues(env, ledger, visibility=30.0, max_receive_count=3)
    source.send("r1", "{}")
    for _ in range(4):
        source.receive(10)
        env.run(until=env.now + 30.001)
    (moved,) = ledger.of(DeadLettered)
    assert moved.receive_count == 3
    (first_in_dlq,) = dlq.receive(10)
    assert first_in_dlq.receive_count == 4


def test_delete_removes_the_message_for_good() -> None:
    """DeleteMessage with the current receipt deletes the message. Source: aws-semantics.md
    4.3 "If the invocation succeeds, Lambda deletes the batch's messages"."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger)
    source.send("r1", "{}")
    (delivery,) = source.receive(10)
    assert source.delete(delivery)
    env.run(until=100.0)
    assert source.receive(10) == [] and source.live == {} and source.in_flight == 0
    assert [d.request_id for d in ledger.of(Deleted)] == ["r1"]


def test_a_stale_receipt_handle_does_not_delete() -> None:
    """Deleting with an older receipt handle succeeds but leaves the message: it is delivered
    again. Source: aws-semantics.md 3.2 "If you don't provide the most recently received
    receipt handle ... the message might not be deleted", [DOC] API_DeleteMessage."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger, visibility=10.0, max_receive_count=None)
    source.send("r1", "{}")
    (old,) = source.receive(10)
    env.run(until=10.001)
    (new,) = source.receive(10)
    assert not source.delete(old)
    assert [m.reason for m in ledger.of(DeleteMissed)] == ["stale_receipt"]
    assert "source-0000001" in source.live
    assert source.delete(new)


def test_the_latest_receipt_deletes_even_after_the_visibility_timeout() -> None:
    """A consumer slower than the visibility timeout can still delete with the most recent
    receipt handle as long as nobody received the message again. Source: aws-semantics.md 3.2,
    [DOC] API_DeleteMessage ("you must provide the most recently received receipt handle")."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger, visibility=10.0, max_receive_count=None)
    source.send("r1", "{}")
    (delivery,) = source.receive(10)
    env.run(until=15.0)  # visible again, not yet received again
    assert source.delete(delivery)
    assert source.receive(10) == [] and source.live == {}


def test_an_injected_delete_miss_redelivers_after_the_visibility_timeout() -> None:
    """At-least-once: a delete can miss a stored copy, and the message comes back.
    Source: aws-semantics.md 3.2 "At-least-once delivery", [DOC] standard-queues."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger, visibility=10.0, max_receive_count=None)
    source.send("r1", "{}")
    (delivery,) = source.receive(10)
    assert not source.delete(delivery, miss=True)
    assert [m.reason for m in ledger.of(DeleteMissed)] == ["injected"]
    env.run(until=10.001)
    assert [d.receive_count for d in source.receive(10)] == [2]


def test_retention_expiry_deletes_silently_and_is_recorded() -> None:
    """When retention elapses SQS deletes the message; it does not go to the DLQ and nobody
    is told (the model records it as Expired). Source: aws-semantics.md 3.1 "Message
    retention", [DOC] quotas-messages."""
    env, ledger = simpy.Environment(), Ledger()
    source, dlq = queues(env, ledger, retention=60.0, max_receive_count=3)
    source.send("r1", "{}")
    env.run(until=61.0)
    assert source.receive(10) == []
    assert source.live == {} and dlq.live == {}
    assert [(e.t, e.request_id, e.queue) for e in ledger.of(Expired)] == [(60.0, "r1", "source")]
    assert list(ledger.of(DeadLettered)) == []


def test_retention_also_expires_an_in_flight_message() -> None:
    """Retention counts from the send, whether or not the message is in flight.
    Source: aws-semantics.md 3.1 "Message retention"."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger, visibility=120.0, retention=60.0, max_receive_count=None)
    source.send("r1", "{}")
    (delivery,) = source.receive(10)
    env.run(until=61.0)
    assert source.in_flight == 0 and source.live == {}
    assert not source.delete(delivery)
    assert [e.t for e in ledger.of(Expired)] == [60.0]


def test_a_dlq_keeps_the_original_enqueue_timestamp_for_retention() -> None:
    """Standard-queue DLQs keep the original enqueue timestamp: a message that spent time in
    the source is deleted from the DLQ that much sooner. Source: aws-semantics.md 3.4
    "Retention clock in the DLQ", [DOC] setting-up-dead-letter-queue-retention."""
    env, ledger = simpy.Environment(), Ledger()
    source, dlq = queues(env, ledger, visibility=100.0, max_receive_count=1, dlq_retention=1_000.0)
    source.send("r1", "{}")
    source.receive(10)
    env.run(until=600.0)
    assert source.receive(10) == []  # second receive: moved to the DLQ at t=600
    assert list(dlq.live)
    env.run(until=2_000.0)
    assert [(e.t, e.queue) for e in ledger.of(Expired)] == [(1_000.0, "dlq")]


def test_a_dlq_message_already_past_its_dlq_retention_expires_at_once() -> None:
    """Same rule, edge case: a DLQ with a shorter retention than the time already spent
    deletes the moved message at once. Source: aws-semantics.md 3.4 (best practice: a DLQ
    retention longer than the source's)."""
    env, ledger = simpy.Environment(), Ledger()
    source, dlq = queues(env, ledger, visibility=100.0, max_receive_count=1, dlq_retention=60.0)
    source.send("r1", "{}")
    source.receive(10)
    env.run(until=100.001)
    source.receive(10)
    env.run(until=101.0)
    assert dlq.live == {}
    assert [e.queue for e in ledger.of(Expired)] == ["dlq"]


def test_queue_delay_hides_new_messages() -> None:
    """A queue's delay keeps new messages invisible for that long (0 to 15 min).
    Source: aws-semantics.md 3.1 "Other limits" (delay), [DOC] quotas-queues."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger, delay=10.0)
    source.send("r1", "{}")
    assert source.receive(10) == []
    env.run(until=9.999)
    assert source.receive(10) == []
    env.run(until=10.0001)
    assert [d.request_id for d in source.receive(10)] == ["r1"]


def test_receive_returns_at_most_the_batch_size() -> None:
    """A receive returns at most the requested number of messages.
    Source: aws-semantics.md 3.1 (at most 10 per ReceiveMessage; the ESM's batch)."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger)
    for i in range(25):
        source.send(f"r{i}", "{}")
    sizes = [len(source.receive(10)) for _ in range(4)]
    assert sizes == [10, 10, 5, 0]


def test_a_waiter_wakes_when_a_message_becomes_visible() -> None:
    """Long polling: a waiting consumer is woken by a message becoming visible (a send or a
    visibility timeout), not by polling in a loop. Source: aws-semantics.md 3.1 (long-poll
    wait up to 20 s), 4.1 "Lambda long-polls"."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger, delay=5.0)
    woken: list[float] = []

    def consumer() -> object:
        yield source.wait()
        woken.append(env.now)

    env.process(consumer())
    source.send("r1", "{}")
    env.run(until=20.0)
    assert woken == [5.0]


def test_operations_stay_correct_at_depth() -> None:
    """Deep queues (bursts) keep exact accounting: every message is received once, deleted
    once, and nothing is left. (Cost per operation is measured in bench/, not here.)
    Source: DESIGN.md section 4, "Managed services are modelled natively"."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger, max_receive_count=None)
    for i in range(20_000):
        source.send(f"r{i}", "{}")
    seen = set()
    while batch := source.receive(10):
        for delivery in batch:
            seen.add(delivery.request_id)
            assert source.delete(delivery)
    assert len(seen) == 20_000 and source.live == {} and source.in_flight == 0


@pytest.mark.parametrize("count", [1, 2])
def test_max_receive_count_is_exact(count: int) -> None:
    """The move happens after exactly maxReceiveCount receives, for any count.
    Source: aws-semantics.md 3.4, [DOC] RedrivePolicy."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger, visibility=1.0, max_receive_count=count)
    source.send("r1", "{}")
    receives = 0
    for _ in range(count + 2):
        receives += len(source.receive(10))
        env.run(until=env.now + 1.001)
    assert receives == count
    assert [d.receive_count for d in ledger.of(DeadLettered)] == [count]


def test_visible_counts_only_receivable_messages() -> None:
    """ApproximateNumberOfMessages counts messages available to receive: expired ones and ones
    deleted while visible are not (they feed the ESM's scaling and the report's timelines).
    Source: aws-semantics.md 3.1 (retention deletes), 3.2 (delete with the latest receipt)."""
    env, ledger = simpy.Environment(), Ledger()
    source, _ = queues(env, ledger, visibility=10.0, retention=100.0, max_receive_count=None)
    source.send("r1", "{}")
    (delivery,) = source.receive(1)
    source.send("r2", "{}")
    env.run(until=11.0)
    assert source.visible == 2
    assert source.delete(delivery)
    assert source.visible == 1
    env.run(until=101.0)
    assert source.visible == 0
    assert source.receive(10) == []


def test_a_moved_message_cannot_be_deleted_from_the_source_any_more() -> None:
    """Once redriven to the DLQ, the message lives there; a late delete on the source queue
    with the old receipt does not remove it from the DLQ. Source: aws-semantics.md 3.4."""
    env, ledger = simpy.Environment(), Ledger()
    source, dlq = queues(env, ledger, visibility=10.0, max_receive_count=1)
    source.send("r1", "{}")
    (late,) = source.receive(1)
    env.run(until=10.001)
    assert source.receive(1) == []  # moved to the DLQ
    assert not source.delete(late)
    assert len(dlq.live) == 1 and dlq.visible == 1
