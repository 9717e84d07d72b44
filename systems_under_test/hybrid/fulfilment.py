"""Hybrid reference consumer: SQS -> Lambda -> DynamoDB fulfilments.

Like the event-driven consumer it writes idempotently (a conditional put keyed by the request
id, so a redelivered message changes nothing) and reports failed items individually
(ReportBatchItemFailures). Poison orders never reach it: the API function refused them.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

_dynamodb = boto3.client("dynamodb")


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event["Records"]:
        try:
            _fulfil(json.loads(record["body"]))
        except Exception:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _fulfil(message: dict[str, str]) -> None:
    try:
        _dynamodb.put_item(
            TableName=os.environ["FULFILMENTS_TABLE"],
            Item={
                "request_id": {"S": message["request_id"]},
                "order_id": {"S": message["order_id"]},
                "status": {"S": "fulfilled"},
                "fulfilled_at": {"S": datetime.now(UTC).isoformat()},
            },
            ConditionExpression="attribute_not_exists(request_id)",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
