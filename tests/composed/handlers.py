"""Handlers for the composed-system tests: an API function that records and hands off, and
a consumer that records the follow-up (`tests.composed.handlers:name`)."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

_dynamodb = boto3.client("dynamodb")
_sqs = boto3.client("sqs")


def record_and_send(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request_id = json.loads(event["body"])["request_id"]
    _put("ORDERS_TABLE", request_id)
    _sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps({"id": request_id}))
    return {"statusCode": 201, "body": "{}"}


def record_and_send_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request_id = json.loads(event["body"])["request_id"]
    _put("ORDERS_TABLE", request_id)
    answer = _sqs.send_message_batch(
        QueueUrl=os.environ["QUEUE_URL"],
        Entries=[{"Id": "only", "MessageBody": json.dumps({"id": request_id})}],
    )
    return {"statusCode": 201, "body": json.dumps({"sent": len(answer["Successful"])})}


def send_to_an_undeclared_queue(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Builds the URL of a queue the system does not declare (so validation cannot see it)."""
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/" + "elsewhere"
    _sqs.send_message(QueueUrl=url, MessageBody="{}")
    return {"statusCode": 201, "body": "{}"}


def consume(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event["Records"]:
        _put("FOLLOWUPS_TABLE", json.loads(record["body"])["id"])
    return {}


def _put(variable: str, request_id: str) -> None:
    _dynamodb.put_item(
        TableName=os.environ[variable],
        Item={"pk": {"S": request_id}, "request_id": {"S": request_id}},
    )


def record_and_try_send(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The best-effort hand-off: a failed send after the commit is swallowed."""
    from botocore.exceptions import ClientError

    try:
        return record_and_send(event, context)
    except ClientError:
        return {"statusCode": 201, "body": "{}"}
