"""A sync handler keeping its data in dataclasses and attrs classes with datetimes."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import boto3

_orders = boto3.client("dynamodb")


@dataclasses.dataclass(frozen=True)
class Receipt:
    request_id: str
    issued_at: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))


def _to_datetime(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


@attrs.define
class Shipment:
    request_id: str
    ready_at: datetime = attrs.field(converter=_to_datetime)
    issued: list[datetime] = attrs.Factory(list)

    @ready_at.validator
    def _after_now(self, attribute: Any, value: datetime) -> None:
        if value <= datetime.now(UTC):
            raise ValueError(f"{attribute.name} must be in the future")


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    body = json.loads(event["body"])
    if body.get("poison"):
        return {"statusCode": 422, "body": "{}"}
    receipt = Receipt(body["request_id"])
    shipment = Shipment(
        receipt.request_id,
        (receipt.issued_at + timedelta(hours=2)).isoformat(),
        [receipt.issued_at],
    )
    later = attrs.evolve(shipment, issued=[*shipment.issued, datetime.now(UTC)])
    document = json.dumps(
        {"receipt": dataclasses.asdict(receipt), "shipment": attrs.asdict(later)}, default=_encode
    )
    if later.ready_at - receipt.issued_at != timedelta(hours=2):
        raise RuntimeError(f"times did not survive the round trip: {document}")
    _orders.put_item(
        TableName=os.environ["ORDERS_TABLE"],
        Item={
            "order_id": {"S": receipt.request_id},
            "request_id": {"S": receipt.request_id},
            "document": {"S": document},
        },
    )
    return {"statusCode": 201, "body": document}
