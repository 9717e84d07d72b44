"""Small handlers the engine tests point system definitions at (`tests.engine.handlers:name`).

They make real boto3 calls, like a user's handler would. The module-level client and
counter are per execution environment (each environment imports this module afresh).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from tests.engine import probes

_dynamodb = boto3.client("dynamodb")
_invocations = 0


def count_invocations(event: Any, context: Any) -> dict[str, Any]:
    """Counts the invocations its execution environment has served."""
    global _invocations  # noqa: PLW0603
    time.sleep(0.5)  # long enough for a concurrent invocation to need its own environment
    _invocations += 1
    return {"statusCode": 200, "count": _invocations}


def _request_id(event: dict[str, Any]) -> str:
    return str(json.loads(event["body"])["request_id"])


def _put(request_id: str, order_id: str, **extra: Any) -> None:
    _dynamodb.put_item(
        TableName=os.environ.get("ORDERS_TABLE", "orders"),
        Item={"order_id": {"S": order_id}, "request_id": {"S": request_id}},
        **extra,
    )


def clock_probe(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Records the time it reads before and after sleeping 5 s (in `probes.SEEN`)."""
    before = time.time(), datetime.now(UTC)
    time.sleep(5)
    after = time.time(), datetime.now(UTC)
    probes.SEEN.append((before, after))
    return {"statusCode": 200, "body": "{}"}


def write_then_hang(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Writes the order, then runs past its timeout (the write must persist)."""
    request_id = _request_id(event)
    _put(request_id, request_id)
    time.sleep(3600)
    return {"statusCode": 200, "body": "{}"}


def put_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Writes the order keyed by request id; an SDK error fails the invocation."""
    request_id = _request_id(event)
    _put(request_id, request_id)
    return {"statusCode": 201, "body": "{}"}


def conditional_twice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Writes the order, then writes it again conditionally (which fails), then a third
    write: the failed conditional write has spent the table's only capacity unit."""
    request_id = _request_id(event)
    _put(request_id, request_id)
    time.sleep(1.0)  # one second: one capacity unit refilled
    try:
        _put(request_id, request_id, ConditionExpression="attribute_not_exists(order_id)")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
    _put(request_id, f"{request_id}-again")
    return {"statusCode": 201, "body": "{}"}


def malformed(event: dict[str, Any], context: Any) -> Any:
    """Returns something that is not a proxy response."""
    return "not a proxy response"


def fail(event: dict[str, Any], context: Any) -> Any:
    raise RuntimeError("handler failed")


def answer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answers with the status the request body asks for (a handled error passes through)."""
    return {"statusCode": int(json.loads(event["body"]).get("status", 200)), "body": "{}"}


def sleep_past_the_end(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Still asleep when the run ends; records whether its cleanup ran and could call AWS."""
    try:
        time.sleep(3600)
    finally:
        probes.SEEN.append("cleanup")
        try:
            _put("after-the-end", "after-the-end")
            probes.SEEN.append("wrote after the end")
        except BaseException:
            probes.SEEN.append("call refused")
            raise
    return {"statusCode": 200, "body": "{}"}


def overwrite_each_record(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An SQS consumer keyed on the request id, writing unconditionally: a redelivery
    overwrites the order (one item in the end) but runs the whole processing again."""
    for record in event["Records"]:
        request_id = str(json.loads(record["body"])["request_id"])
        _put(request_id, request_id)
    return {"batchItemFailures": []}


def read_twice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Two strongly consistent reads of one order, back to back (1 RCU each)."""
    for _ in range(2):
        _dynamodb.get_item(
            TableName=os.environ.get("ORDERS_TABLE", "orders"),
            Key={"order_id": {"S": _request_id(event)}},
            ConsistentRead=True,
        )
    return {"statusCode": 200, "body": "{}"}
