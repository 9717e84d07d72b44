"""The Powertools consumer of order_consumer.py, pared down, with two idempotency layers.

Used by experiments/powertools-stuck-in-progress.chaos.yaml to reproduce
powertools-lambda-python issue 4759: Lambda ends a function slightly after its timeout
(~0.68 s past 300 s in the report), and in that window `get_remaining_time_in_millis()` is 0.
Powertools before the fix tested the remaining time for truth (`if remaining_time_in_millis:`,
from PR 1387), so a record saved as INPROGRESS at that moment got no `in_progress_expiration`;
when Lambda then ended the function, no retry could take the record over until the record
itself expired (`expires_after_seconds`), each one failing with
IdempotencyAlreadyInProgressError until the message reached the DLQ. The installed Powertools
(3.x) tests `is not None`, so a record saved with 0 ms left expires at once.

With IDEMPOTENCY_LAYER=before-4759 the persistence layer hands Powertools' own
`save_inprogress` a remaining time of 0 as None, as the code before the fix read it.
Everything else (the conditional put, the status checks, the error) is the installed
library's. Kept self-contained: chaos-arena imports a handler module once per execution
environment, and a module imported from it would be shared by all.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import boto3
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
from pydantic import BaseModel


class PersistenceBefore4759(DynamoDBPersistenceLayer):
    """Powertools' DynamoDB layer as it read the remaining time before issue 4759's fix."""

    def save_inprogress(
        self, data: dict[str, Any], remaining_time_in_millis: int | None = None
    ) -> None:
        # Before the fix: `if remaining_time_in_millis:` took 0 ms left for "no context".
        super().save_inprogress(data, remaining_time_in_millis or None)


def _persistence() -> DynamoDBPersistenceLayer:
    """The current layer, or the one before the fix when IDEMPOTENCY_LAYER says so."""
    table = os.environ["IDEMPOTENCY_TABLE"]
    if os.environ.get("IDEMPOTENCY_LAYER") == "before-4759":
        return PersistenceBefore4759(table_name=table)
    return DynamoDBPersistenceLayer(table_name=table)


processor = BatchProcessor(event_type=EventType.SQS)
idempotency = IdempotencyConfig(event_key_jmespath="request_id", expires_after_seconds=3600)
_dynamodb = boto3.client("dynamodb")  # a client, not a resource: cheaper to build per sandbox


class Order(BaseModel):
    request_id: str
    payload: str = ""
    poison: bool = False


@idempotent_function(
    data_keyword_argument="order", config=idempotency, persistence_store=_persistence()
)
def ship(*, order: Order) -> dict[str, Any]:
    """A new shipment per call: not idempotent by itself, hence the guard."""
    shipment_id = str(uuid.uuid4())
    _dynamodb.put_item(
        TableName=os.environ["SHIPMENTS_TABLE"],
        Item={
            "order_id": {"S": shipment_id},
            "request_id": {"S": order.request_id},
            "payload": {"S": order.payload},
        },
    )
    return {"shipment_id": shipment_id}


def record_handler(record: SQSRecord) -> dict[str, Any]:
    order = Order.model_validate_json(record.body)
    if order.poison:
        raise ValueError("the order is malformed")
    return ship(order=order)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)  # in-progress records expire at the timeout
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
