"""A sync handler validating its request with pydantic v2 models that carry dates and times."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import boto3
from pydantic import AwareDatetime, BaseModel, Field, FutureDatetime, TypeAdapter, ValidationError

_orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


class Request(BaseModel):
    request_id: str
    poison: bool = False
    payload: str = ""


class Order(BaseModel):
    request_id: str
    placed_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    ship_on: date
    cutoff: time = time(17, 0)
    deliver_by: FutureDatetime
    history: list[datetime] = []


_timestamps = TypeAdapter(list[datetime])


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        request = Request.model_validate_json(event["body"])
    except ValidationError as error:
        return {"statusCode": 400, "body": error.json()}
    if request.poison:
        return {"statusCode": 422, "body": json.dumps({"error": "malformed order"})}
    now = datetime.now(UTC)
    order = Order(
        request_id=request.request_id,
        ship_on=now.date() + timedelta(days=1),
        deliver_by=now + timedelta(days=3),
        history=_timestamps.validate_python([now, now.isoformat()]),
    )
    stored = order.model_dump_json()
    again = Order.model_validate_json(stored)
    if again != order or Order.model_json_schema()["properties"]["placed_at"]["format"] != (
        "date-time"
    ):
        raise RuntimeError(f"the order did not survive its own JSON: {stored}")
    if not now <= again.placed_at <= now + timedelta(seconds=1):  # (each clock read costs)
        raise RuntimeError(f"placed_at {again.placed_at} is not the invocation's time {now}")
    _orders.put_item(
        Item={"order_id": request.request_id, "request_id": request.request_id, "order": stored}
    )
    return {"statusCode": 201, "body": stored}
