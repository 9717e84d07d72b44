"""Hybrid reference handler: API Gateway -> Lambda -> DynamoDB, then hand-off to SQS.

The synchronous part is the sync reference handler's: the server makes up the order id, so
a client that sends again after a 504 whose write had committed creates a second order. Then
the fulfilment is handed to a queue. The hand-off is best effort (`handle`): the order is
already committed, so a send that fails (after botocore's own retries) is logged and the
client still gets its 201: the dual-write gap, where an order is recorded and never
fulfilled. `handle_failing_loudly` is the fix within one request: it keys the order on the
client's request id (a retry finds it and sends again) and answers 500 when the send fails,
so a retrying client completes the hand-off.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from systems_under_test.orders import InvalidOrder, Order, parse_order

_dynamodb = boto3.client("dynamodb")
_sqs = boto3.client("sqs")
_log = logging.getLogger(__name__)


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        order = parse_order(event.get("body"))
    except InvalidOrder as error:
        return _answer(400, {"error": str(error)})
    order_id = context.aws_request_id
    _record_order(order, order_id)
    try:
        _hand_off(order, order_id)
    except ClientError as error:
        # The order is committed and cannot be taken back: answer, and lose the follow-up.
        _log.error("fulfilment hand-off failed for %s: %s", order.request_id, error)
    return _answer(201, {"order_id": order_id, "status": "accepted"})


def handle_failing_loudly(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Idempotent order, and a failed hand-off is the client's 500: its retry sends again."""
    try:
        order = parse_order(event.get("body"))
    except InvalidOrder as error:
        return _answer(400, {"error": str(error)})
    try:
        _record_order(order, order.request_id, only_once=True)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        # A retry of an order already recorded: hand it off again (the consumer is idempotent).
    try:
        _hand_off(order, order.request_id)
    except ClientError:
        return _answer(500, {"error": "fulfilment could not be queued; send again"})
    return _answer(201, {"order_id": order.request_id, "status": "accepted"})


def _record_order(order: Order, order_id: str, *, only_once: bool = False) -> None:
    extra = {"ConditionExpression": "attribute_not_exists(order_id)"} if only_once else {}
    _dynamodb.put_item(
        TableName=os.environ["ORDERS_TABLE"],
        Item={
            "order_id": {"S": order_id},
            "request_id": {"S": order.request_id},
            "status": {"S": "accepted"},
            "created_at": {"S": datetime.now(UTC).isoformat()},
            "payload": {"S": order.payload},
        },
        **extra,
    )


def _hand_off(order: Order, order_id: str) -> None:
    message = {"request_id": order.request_id, "order_id": order_id, "payload": order.payload}
    _sqs.send_message(QueueUrl=os.environ["FULFILMENT_QUEUE_URL"], MessageBody=json.dumps(message))


def _answer(status: int, body: dict[str, str]) -> dict[str, Any]:
    return {"statusCode": status, "body": json.dumps(body)}
