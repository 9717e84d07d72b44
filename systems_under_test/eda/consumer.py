"""Event-driven reference consumer: SQS -> Lambda -> DynamoDB, then notify the user.

It writes idempotently (a conditional put keyed by the request id, so a redelivered message
changes nothing), reports failed items individually (ReportBatchItemFailures), and pushes the
result over the user's WebSocket; when the connection is gone the order's status record is
still there to poll.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from systems_under_test.orders import Order, parse_order

_dynamodb = boto3.client("dynamodb")
_websocket: Any = None


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Process each record on its own; report the ones that failed."""
    failures = []
    for record in event["Records"]:
        try:
            order = parse_order(record["body"])
            if _record_order(order, order_id=order.request_id):
                _notify(order)
        except Exception:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def handle_without_idempotency(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The same consumer without its idempotency key: each delivery writes a new order."""
    failures = []
    for index, record in enumerate(event["Records"]):
        try:
            order = parse_order(record["body"])
            _record_order(order, order_id=f"{context.aws_request_id}-{index}")
            _notify(order)
        except Exception:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _record_order(order: Order, *, order_id: str) -> bool:
    """Write the order; False if it was already there (a duplicate delivery)."""
    try:
        _dynamodb.put_item(
            TableName=os.environ["ORDERS_TABLE"],
            Item={
                "order_id": {"S": order_id},
                "request_id": {"S": order.request_id},
                "status": {"S": "completed"},
                "completed_at": {"S": datetime.now(UTC).isoformat()},
                "payload": {"S": order.payload},
            },
            ConditionExpression="attribute_not_exists(order_id)",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _notify(order: Order) -> None:
    global _websocket  # noqa: PLW0603  (one client per execution environment, made lazily)
    if not order.connection_id:
        return
    if _websocket is None:
        _websocket = boto3.client(
            "apigatewaymanagementapi", endpoint_url=os.environ["WEBSOCKET_ENDPOINT"]
        )
    message = json.dumps({"request_id": order.request_id, "status": "completed"})
    try:
        _websocket.post_to_connection(ConnectionId=order.connection_id, Data=message.encode())
    except ClientError as error:
        if error.response["Error"]["Code"] != "GoneException":
            raise
        # The user disconnected; the order's status record answers their next poll.
