"""The harness a user would write by hand instead of chaos-arena, for bench/compare.py.

moto SQS (a work queue with a redrive policy to a DLQ, maxReceiveCount 5) + moto DynamoDB +
freezegun. A burst of messages is enqueued at once; a consumer loop receives batches of 10,
processes each message (one DynamoDB PutItem), fails 10 % of deliveries transiently, deletes
the successes and, when nothing is visible, moves freezegun's clock past the visibility
timeout so that the failed messages come back (moto moves a message to the DLQ when it is
received again after maxReceiveCount receives). It stops when both queues are still and
prints what completed and what was dead-lettered.

Whether a delivery fails is the rule bench/burst/consumer.py uses: a pure function of
(seed, request id, receive count), so runs are deterministic.

    python bench/handwritten.py                      # 1,000 messages
    python bench/handwritten.py --messages 5000 --seed 1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from typing import Any

import boto3
from freezegun import freeze_time
from moto import mock_aws

REGION = "us-east-1"
VISIBILITY_TIMEOUT = 30  # seconds, as in bench/burst/system.yaml
MAX_RECEIVE_COUNT = 5
FAILURE_RATE = 0.10
PAYLOAD_SIZE = 256  # bytes of message body, chaos-arena's default


class TransientError(Exception):
    """A failure the next delivery may not meet."""


def fails(seed: str, request_id: str, receive_count: int, rate: float) -> bool:
    digest = hashlib.sha256(f"{seed}:{request_id}:{receive_count}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def body(request_id: str) -> str:
    bare = json.dumps({"request_id": request_id, "payload": ""})
    return json.dumps({"request_id": request_id, "payload": "x" * (PAYLOAD_SIZE - len(bare))})


def create_queues(sqs: Any) -> tuple[str, str]:
    dlq_url = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    dlq_arn = dlq["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
    queue_url = sqs.create_queue(
        QueueName="work-queue",
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_TIMEOUT),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return queue_url, dlq_url


def create_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName="results",
        KeySchema=[{"AttributeName": "request_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "request_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def enqueue(sqs: Any, queue_url: str, messages: int) -> None:
    for start in range(0, messages, 10):
        entries = [
            {"Id": str(i), "MessageBody": body(f"req-{i:06d}")}
            for i in range(start, min(start + 10, messages))
        ]
        sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)


def handle(dynamodb: Any, message: dict[str, Any], seed: str) -> None:
    """The user's handler: one PutItem, or a transient failure."""
    order = json.loads(message["Body"])
    receive_count = int(message["Attributes"]["ApproximateReceiveCount"])
    if fails(seed, order["request_id"], receive_count, FAILURE_RATE):
        raise TransientError(f"{order['request_id']}: failed on receive {receive_count}")
    dynamodb.put_item(
        TableName="results",
        Item={"request_id": {"S": order["request_id"]}, "payload": {"S": order["payload"]}},
    )


def in_flight(sqs: Any, queue_url: str) -> int:
    """Messages still in the queue, visible or not."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def consume(sqs: Any, dynamodb: Any, queue_url: str, clock: Any, seed: str) -> dict[str, int]:
    """Drain the queue: batches of 10, successes deleted, failures left to time out."""
    stats = {"receives": 0, "deliveries": 0, "failures": 0, "clock_ticks": 0}
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            AttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        stats["receives"] += 1
        if not batch:
            if in_flight(sqs, queue_url) == 0:
                return stats
            # The rest are invisible (failed deliveries): let their visibility timeout pass.
            clock.tick(VISIBILITY_TIMEOUT + 1)
            stats["clock_ticks"] += 1
            continue
        done = []
        for message in batch:
            stats["deliveries"] += 1
            try:
                handle(dynamodb, message, seed)
            except TransientError:
                stats["failures"] += 1
                continue
            done.append({"Id": message["MessageId"], "ReceiptHandle": message["ReceiptHandle"]})
        if done:
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=done)


def count_items(dynamodb: Any, table: str) -> int:
    """Items in `table`: a Scan answers at most 1 MB a page (~4,000 of these items)."""
    pages = dynamodb.get_paginator("scan").paginate(TableName=table, Select="COUNT")
    return sum(page["Count"] for page in pages)


def run(messages: int, seed: str) -> dict[str, int]:
    with mock_aws(), freeze_time("2024-01-01T00:00:00Z") as clock:
        sqs = boto3.client("sqs", region_name=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        queue_url, dlq_url = create_queues(sqs)
        create_table(dynamodb)
        enqueue(sqs, queue_url, messages)
        stats = consume(sqs, dynamodb, queue_url, clock, seed)
        completed = count_items(dynamodb, "results")
        dead_lettered = in_flight(sqs, dlq_url)
    return {"messages": messages, "completed": completed, "dead_lettered": dead_lettered, **stats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000)
    parser.add_argument("--seed", default="1")
    parser.add_argument("--json", action="store_true", help="one JSON line, for compare.py")
    args = parser.parse_args()
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    started, cpu = time.perf_counter(), time.process_time()
    result = run(args.messages, args.seed)
    result_seconds = {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu}
    if args.json:
        print(json.dumps({**result, **result_seconds}))
        return
    print(
        f"{result['messages']:,} messages: {result['completed']:,} completed, "
        f"{result['dead_lettered']:,} dead-lettered; {result['deliveries']:,} deliveries "
        f"({result['failures']:,} failed), {result['receives']:,} receives, "
        f"{result['clock_ticks']} clock ticks; {result_seconds['wall']:.1f} s wall, "
        f"{result_seconds['cpu']:.1f} s CPU (after imports)"
    )


if __name__ == "__main__":
    main()
