"""Sync reference handler: API Gateway -> Lambda -> DynamoDB.

The client waits for the answer. Like most request/response APIs, the server makes up the
order id, so a client that sends again after an error it could not interpret (a 504 whose
write had committed) creates a second order.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

import boto3

from systems_under_test.orders import InvalidOrder, parse_order

_dynamodb = boto3.client("dynamodb")


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        order = parse_order(event.get("body"))
    except InvalidOrder as error:
        return {"statusCode": 400, "body": json.dumps({"error": str(error)})}
    order_id = context.aws_request_id
    _dynamodb.put_item(
        TableName=os.environ["ORDERS_TABLE"],
        Item={
            "order_id": {"S": order_id},
            "request_id": {"S": order.request_id},
            "status": {"S": "accepted"},
            "created_at": {"S": datetime.now(UTC).isoformat()},
            "payload": {"S": order.payload},
        },
    )
    return {"statusCode": 201, "body": json.dumps({"order_id": order_id, "status": "accepted"})}
