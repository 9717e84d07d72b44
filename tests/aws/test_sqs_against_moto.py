"""Differential test: the native SQS model against moto's SQS, on random operation sequences.

The model replaces moto's SQS for speed (chaos/_aws/sqs.py), so where AWS defines the
behaviour both must answer alike: which messages a receive returns when every visible one
fits in it, their receive counts, that a message reappears after its visibility timeout,
that the latest receipt handle deletes, and which messages the redrive policy moves to the
DLQ (on the receive after maxReceiveCount). Sources: aws-semantics.md 3.1-3.4;
[DOC] API_ReceiveMessage, API_DeleteMessage, sqs-dead-letter-queues.

Left out, because AWS leaves them open or the two differ by design:
- which messages a receive returns when more are visible than it asks for (standard queues
  give no order; moto walks its messages in send order, the model in visibility order), so
  every receive here asks for 10 and a sequence sends at most 10;
- deletes with a stale receipt handle ("the request will still succeed, but the message
  might not be deleted": moto deletes, the model does not);
- a message's receive count once in the DLQ (moto keeps it, the model starts again);
- ChangeMessageVisibility, which the model does not implement (no modelled caller uses it);
- deletes of a message the redrive policy has moved meanwhile;
- times that land exactly on a visibility deadline (moto compares milliseconds): the
  visibility timeout is 3 s and time moves in steps of 0.4 s, so no receive falls on one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import boto3
import simpy
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from chaos._aws.sqs import Delivery, Queue
from chaos._ledger import Ledger

REGION = "us-east-1"
VISIBILITY = 3
STEP = 0.4
MAX_RECEIVE_COUNT = 2
MAX_MESSAGES = 10
"""At most this many messages per sequence: one receive of 10 can always take all visible."""
_names = itertools.count(1)

Operation = tuple[str, int]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.just(0)),
        st.tuples(st.just("receive"), st.just(0)),
        st.tuples(st.just("delete"), st.integers(0, MAX_MESSAGES - 1)),
        st.tuples(st.just("wait"), st.integers(1, 4)),  # in steps of STEP
    ),
    min_size=1,
    max_size=30,
)


@dataclass
class Pair:
    """The model and a moto queue pair (source + DLQ), driven side by side."""

    env: simpy.Environment
    source: Queue
    dlq: Queue
    sqs: Any
    source_url: str
    dlq_url: str
    sent: int = 0
    held: dict[str, tuple[Delivery, str]] = field(default_factory=dict)
    """Body -> the latest receipt of a message, in the model and in moto."""


def _pair(sqs: Any) -> Pair:
    env = simpy.Environment()
    ledger = Ledger()
    horizon = 1e9
    dlq = Queue(env, ledger, "dlq", visibility_timeout=30.0, retention=1e6, horizon=horizon)
    source = Queue(
        env,
        ledger,
        "source",
        visibility_timeout=VISIBILITY,
        retention=1e6,
        horizon=horizon,
        dead_letter=dlq,
        max_receive_count=MAX_RECEIVE_COUNT,
    )
    name = f"q{next(_names)}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
    source_url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(VISIBILITY),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return Pair(env, source, dlq, sqs, source_url, dlq_url)


def _moto_receive(pair: Pair) -> dict[str, tuple[int, str]]:
    answer = pair.sqs.receive_message(
        QueueUrl=pair.source_url,
        MaxNumberOfMessages=MAX_MESSAGES,
        AttributeNames=["ApproximateReceiveCount"],
    )
    return {
        m["Body"]: (int(m["Attributes"]["ApproximateReceiveCount"]), m["ReceiptHandle"])
        for m in answer.get("Messages", [])
    }


def _step(pair: Pair, operation: Operation, clock: Any) -> None:
    kind, argument = operation
    if kind == "send" and pair.sent < MAX_MESSAGES:
        body = f"m{pair.sent}"
        pair.sent += 1
        pair.source.send(body, body)
        pair.sqs.send_message(QueueUrl=pair.source_url, MessageBody=body)
    elif kind == "receive":
        model = {d.request_id: d for d in pair.source.receive(MAX_MESSAGES)}
        moto = _moto_receive(pair)
        assert set(model) == set(moto), f"received at {pair.env.now:g} s"
        counts = {body: d.receive_count for body, d in model.items()}
        assert counts == {body: count for body, (count, _) in moto.items()}
        for body, delivery in model.items():
            pair.held[body] = (delivery, moto[body][1])
    elif kind == "delete" and pair.held:
        body = sorted(pair.held)[argument % len(pair.held)]
        delivery, handle = pair.held.pop(body)
        latest = delivery.message.receipt == delivery.receipt
        if latest and delivery.message_id in pair.source.live:  # both delete
            assert pair.source.delete(delivery)
            pair.sqs.delete_message(QueueUrl=pair.source_url, ReceiptHandle=handle)
    elif kind == "wait":
        pair.env.run(until=pair.env.now + argument * STEP)
        clock.tick(dt.timedelta(seconds=argument * STEP))


def _dead_lettered_in_moto(pair: Pair) -> set[str]:
    answer = pair.sqs.receive_message(QueueUrl=pair.dlq_url, MaxNumberOfMessages=MAX_MESSAGES)
    return {m["Body"] for m in answer.get("Messages", [])}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=operations)
def test_the_queue_model_answers_as_moto_does(sequence: list[Operation]) -> None:
    """Random send/receive/delete/wait sequences with a redrive policy (maxReceiveCount 2,
    visibility timeout 3 s): every receive returns the same messages with the same receive
    counts from the model and from moto, and the same messages end in the DLQ, after a last
    wait and receive let every message that can move, move. Source: aws-semantics.md 3.1
    "Visibility timeout", 3.2 "Each receive gives a new receipt handle", 3.4 "moves on the
    next receive"; [DOC] API_ReceiveMessage, API_DeleteMessage, sqs-dead-letter-queues."""
    with mock_aws(), freeze_time("2026-01-01 00:00:00") as clock:
        pair = _pair(boto3.client("sqs", region_name=REGION))
        for operation in sequence:
            _step(pair, operation, clock)
        for _ in range(MAX_RECEIVE_COUNT + 1):  # let every undeleted message reach the DLQ
            _step(pair, ("wait", 8), clock)
            pair.source.receive(MAX_MESSAGES)
            _moto_receive(pair)
        assert {m.request_id for m in pair.dlq.live.values()} == _dead_lettered_in_moto(pair)
        assert not pair.source.live
