"""An SQS consumer written the way the Powertools for AWS Lambda documentation recommends.

Each record is processed on its own (`BatchProcessor` + `process_partial_response`, with
ReportBatchItemFailures on the event source mapping), so a poison message fails alone while its
batch-mates are deleted. Shipping an order is not idempotent by itself (every call creates a
new shipment), so `@idempotent_function` guards it with a record in DynamoDB keyed by the
order's request id: a redelivered message returns the stored result instead of shipping twice.
Logger and Metrics are used as in any Powertools function.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
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
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, field_validator

logger = Logger()  # service name from POWERTOOLS_SERVICE_NAME
metrics = Metrics()  # namespace from POWERTOOLS_METRICS_NAMESPACE
processor = BatchProcessor(event_type=EventType.SQS)
persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])
# One hour: far longer than a message stays in play (3 receives, 60 s visibility timeout).
idempotency = IdempotencyConfig(event_key_jmespath="request_id", expires_after_seconds=3600)
shipments = boto3.resource("dynamodb").Table(os.environ["SHIPMENTS_TABLE"])


class Order(BaseModel):
    request_id: str
    payload: str = ""
    poison: bool = False
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @field_validator("poison")
    @classmethod
    def _not_malformed(cls, poison: bool) -> bool:
        if poison:
            raise ValueError("the order is malformed")
        return poison


@idempotent_function(
    data_keyword_argument="order", config=idempotency, persistence_store=persistence
)
def ship(*, order: Order) -> dict[str, Any]:
    """Create the order's shipment: a new item per call, hence the idempotency guard."""
    shipment_id = str(uuid.uuid4())
    shipments.put_item(
        Item={
            "order_id": shipment_id,
            "request_id": order.request_id,
            "received_at": order.received_at.isoformat(),
            "payload": order.payload,
        }
    )
    logger.info("order shipped", request_id=order.request_id, shipment_id=shipment_id)
    metrics.add_metric(name="OrdersShipped", unit=MetricUnit.Count, value=1)
    return {"shipment_id": shipment_id}


def record_handler(record: SQSRecord) -> dict[str, Any]:
    order = Order.model_validate_json(record.body)  # a poison order raises: that record fails
    return ship(order=order)


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)  # in-progress records expire at the timeout
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
