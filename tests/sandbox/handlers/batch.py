"""An SQS consumer on Powertools' batch utility, parsing each record with its pydantic models.

`SqsRecordModel` carries `datetime` fields (SentTimestamp, ApproximateFirstReceiveTimestamp):
the models that could not be built under freezegun's clock (issue 11).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, Json

_orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


class Order(BaseModel):
    request_id: str
    poison: bool = False
    payload: str = ""


class OrderRecord(SqsRecordModel):
    body: Json[Order]  # type: ignore[assignment]


processor = BatchProcessor(event_type=EventType.SQS, model=OrderRecord)


class MalformedOrder(ValueError):
    pass


def record_handler(record: OrderRecord) -> None:
    order = record.body
    if order.poison:
        raise MalformedOrder(order.request_id)
    sent = record.attributes.SentTimestamp
    if not timedelta(0) <= datetime.now(UTC) - sent < timedelta(minutes=10):
        raise RuntimeError(f"SentTimestamp {sent} is not shortly before now")
    _orders.put_item(
        Item={
            "order_id": f"{order.request_id}#{record.messageId}",
            "request_id": order.request_id,
            "sent_at": sent.isoformat(),
        }
    )


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
