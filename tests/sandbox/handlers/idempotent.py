"""Powertools idempotency on a DynamoDB table: an SQS consumer and a sync API handler.

The effect (a shipment, a new item per execution) is not idempotent by itself; the
idempotency record is what keeps a second execution from creating another one.
Test knobs, as environment variables: `IDEMPOTENCY_EXPIRES_AFTER` sets
`expires_after_seconds`; `WORK_SECONDS` makes each execution take that long; `SLOW_UNTIL`
(virtual seconds since the epoch) makes executions started before it overrun any timeout;
`REGISTER_CONTEXT=0` leaves the Lambda context unregistered; `COUNT_SHIPMENTS=1` counts each
shipment with Powertools Metrics (`consume_with_metrics` flushes them); `CHECK_KEY=1` checks
the key of each idempotency record.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from typing import Any

import boto3
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent,
    idempotent_function,
)

_shipments = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])
config = IdempotencyConfig(
    event_key_jmespath="request_id",
    expires_after_seconds=int(os.environ.get("IDEMPOTENCY_EXPIRES_AFTER", "3600")),
)
api_config = IdempotencyConfig(
    event_key_jmespath="powertools_json(body).request_id",
    expires_after_seconds=int(os.environ.get("IDEMPOTENCY_EXPIRES_AFTER", "3600")),
)
processor = BatchProcessor(event_type=EventType.SQS)
metrics = Metrics(namespace="Shop", service="orders")
_WORK = float(os.environ.get("WORK_SECONDS", "0"))
_SLOW_UNTIL = float(os.environ.get("SLOW_UNTIL", "0"))


def _ship(request_id: str) -> dict[str, Any]:
    if time.time() < _SLOW_UNTIL:
        time.sleep(3600)  # overruns the function timeout
    if _WORK:
        time.sleep(_WORK)
    shipment_id = str(uuid.uuid4())
    _shipments.put_item(Item={"order_id": shipment_id, "request_id": request_id})
    if os.environ.get("COUNT_SHIPMENTS") == "1":
        metrics.add_metric(name="OrdersShipped", unit=MetricUnit.Count, value=1)
    return {"shipment_id": shipment_id}


@idempotent_function(data_keyword_argument="order", config=config, persistence_store=persistence)
def ship(*, order: dict[str, Any]) -> dict[str, Any]:
    return _ship(order["request_id"])


def record_handler(record: SQSRecord) -> dict[str, Any]:
    order = json.loads(record.body)
    if order.get("poison"):
        raise ValueError(f"order {order['request_id']} is malformed")
    return ship(order=order)


_records = boto3.resource("dynamodb").Table(os.environ["IDEMPOTENCY_TABLE"])


def record_handler_checking_its_key(record: SQSRecord, lambda_context: Any) -> dict[str, Any]:
    """`record_handler`, then a look at the record Powertools wrote: documented as keyed
    `<Lambda function name>.<module>.<function>#<md5 of the key>`."""
    result = record_handler(record)
    digest = hashlib.md5(json.dumps(json.loads(record.body)["request_id"]).encode()).hexdigest()
    key = f"{lambda_context.function_name}.{__name__}.ship#{digest}"
    if "Item" not in _records.get_item(Key={"id": key}):
        raise LookupError(f"no idempotency record {key!r}")
    return result


def consume(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if os.environ.get("REGISTER_CONTEXT", "1") == "1":
        config.register_lambda_context(context)
    return process_partial_response(
        event=event,
        record_handler=record_handler_checking_its_key
        if os.environ.get("CHECK_KEY") == "1"
        else record_handler,
        processor=processor,
        context=context,
    )


@idempotent(config=api_config, persistence_store=persistence)
def capture(event: dict[str, Any], context: Any) -> dict[str, Any]:
    body = json.loads(event["body"])
    if body.get("poison"):
        return {"statusCode": 422, "body": "{}"}
    return {"statusCode": 201, "body": json.dumps(_ship(body["request_id"]))}


# The same consumer instrumented with Powertools Metrics: each shipment is counted.
consume_with_metrics = metrics.log_metrics(consume)
