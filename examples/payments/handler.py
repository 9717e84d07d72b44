"""An example user system: a payments API that is safe to retry.

Not one of the reference systems: it uses the boto3 resource API, a different table layout,
and an idempotency key, the fix for the duplicate charges a retrying client causes against a
naive sync API. The client's request id is the idempotency key; a conditional put makes the
second attempt of the same payment a no-op that answers like the first.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import ClientError

_payments = boto3.resource("dynamodb").Table(os.environ.get("PAYMENTS_TABLE", "payments"))


def capture(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        body = json.loads(event.get("body") or "")
        key = body["request_id"]
    except (ValueError, KeyError, TypeError):
        return {"statusCode": 400, "body": json.dumps({"error": "request_id is required"})}
    if body.get("poison"):
        return {"statusCode": 422, "body": json.dumps({"error": "card declined"})}
    try:
        _payments.put_item(
            Item={
                "payment_id": key,
                "idempotency_key": key,
                "amount": Decimal("12.50"),
                "status": "captured",
            },
            ConditionExpression="attribute_not_exists(payment_id)",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return {"statusCode": 200, "body": json.dumps({"payment_id": key, "replayed": True})}
    return {"statusCode": 201, "body": json.dumps({"payment_id": key})}
