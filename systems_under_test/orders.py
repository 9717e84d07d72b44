"""The order payload both reference systems accept, and its validation."""

from __future__ import annotations

import json
from dataclasses import dataclass


class InvalidOrder(ValueError):
    """A payload no retry can fix: the "poison" of poison messages."""


@dataclass(frozen=True)
class Order:
    request_id: str
    connection_id: str
    payload: str


def parse_order(body: str | None) -> Order:
    """The order in a request body; InvalidOrder when it cannot be processed."""
    try:
        document = json.loads(body or "")
    except ValueError as error:
        raise InvalidOrder(f"body is not JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("request_id"), str):
        raise InvalidOrder("body has no request_id")
    if document.get("poison"):
        raise InvalidOrder(f"order {document['request_id']} is malformed")
    return Order(
        document["request_id"],
        str(document.get("connection_id", "")),
        str(document.get("payload", "")),
    )
