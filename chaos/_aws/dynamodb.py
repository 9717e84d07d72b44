"""DynamoDB capacity: what moto lacks (../shared/reference/aws-semantics.md §5).

Provisioned tables are a token bucket of write capacity units refilled at the provisioned
rate that keeps up to `burst_seconds` (AWS: 300 s) of unused capacity; on-demand tables serve
up to their on-demand limit per second. A write costs one WCU per started KB of item and is
charged whether its condition holds or not (a failed conditional write still consumes
capacity); a throttled write is not charged. Reads are not rate-limited (see
ARCHITECTURE.md); `read_units` counts what they consume, for the bill.
"""

from __future__ import annotations

import math
from typing import Any

from chaos._faults.base import CallEffect, CapacityFault
from chaos._faults.schedule import FaultSchedule
from chaos._sim.bucket import TokenBucket
from chaos._spec.system import TableDef
from chaos._spec.types import ThrottleCode

_THROTTLE_MESSAGES: dict[ThrottleCode, str] = {
    "ProvisionedThroughputExceededException": "The level of configured provisioned throughput "
    "for the table was exceeded. Consider increasing your provisioning level with the "
    "UpdateTable API.",
    "ThrottlingException": "Rate of requests exceeds the allowed throughput.",
    "RequestLimitExceeded": "Throughput exceeds the current throughput limit for your account. "
    "Please contact AWS Support at https://aws.amazon.com/support request a limit increase",
}
THROTTLES = {
    code: CallEffect(error_status=400, error_code=code, error_message=message)
    for code, message in _THROTTLE_MESSAGES.items()
}
"""The throttle responses, by code (what the SDK parses: HTTP 400 and the error code)."""
THROTTLE_CODES = frozenset(THROTTLES)
"""DynamoDB's throttling error codes (the SDK retries them all)."""

WRITE_OPERATIONS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)

READ_OPERATIONS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "ExecuteStatement"}
)


class TableCapacity:
    """The write capacity of one table, reshaped while `dynamodb.throttle` cuts it."""

    def __init__(self, name: str, definition: TableDef, faults: FaultSchedule) -> None:
        self.name = name
        self.faults = faults
        self.throttle_code: ThrottleCode
        """What the table answers when this model throttles a write."""
        if definition.billing == "provisioned":
            rate = float(definition.write_capacity)
            self._normal = (rate, rate * max(definition.burst_seconds, 1.0))
            self.throttle_code = "ProvisionedThroughputExceededException"
        else:
            limit = definition.on_demand_write_limit
            self._normal = (limit, limit)
            self.throttle_code = definition.on_demand_throttle_code
        self._shape = self._normal
        self.bucket = TokenBucket(*self._normal)

    def admit_write(self, now: float, units: float) -> bool:
        """Charge `units` WCU now; False means the write is throttled."""
        shape = self._wanted_shape(now)
        if shape != self._shape:
            self._shape = shape
            # Reshaped lazily, at the first write after the change, but from when it changed:
            # capacity that came back at a window's end refills from then, not from now.
            self.bucket.reshape(self._changed_at(now), *shape)
        return self.bucket.take(now, units)

    def _changed_at(self, now: float) -> float:
        """The latest edge of a capacity-cutting window at or before `now`."""
        edges = [
            edge
            for scheduled in self.faults.of_kind(CapacityFault)
            if scheduled.applies_to(self.name)
            for edge in (scheduled.start, scheduled.end)
            if edge <= now
        ]
        return max(edges, default=now)

    def _wanted_shape(self, now: float) -> tuple[float, float]:
        capacity: float | None = None
        for scheduled, fault in self.faults.active(CapacityFault, now, self.name):
            cut = fault.write_capacity(scheduled.params, scheduled.intensity(now))
            if cut is not None:
                capacity = cut if capacity is None else min(capacity, cut)
        if capacity is None:
            return self._normal
        # During a capacity cut there is no burst credit: at most one second's worth.
        return (capacity, max(capacity, 1.0))


def write_units(operation: str, body: dict[str, Any]) -> float:
    """WCU a write costs: one per started KB of each item written; transactions cost 2x."""
    if operation == "PutItem":
        return _units(body.get("Item", {}))
    if operation in ("UpdateItem", "DeleteItem"):
        return 1.0
    if operation == "BatchWriteItem":
        total = 0.0
        for requests in body.get("RequestItems", {}).values():
            for request in requests:
                put = request.get("PutRequest")
                total += _units(put.get("Item", {})) if put else 1.0
        return total
    if operation == "TransactWriteItems":
        return 2.0 * sum(
            _units(item.get("Put", {}).get("Item", {})) for item in body.get("TransactItems", [])
        )
    return 0.0


def read_units(operation: str, request: dict[str, Any], response: dict[str, Any]) -> float:
    """Read request units a served read consumed: one per started 4 KB read strongly
    consistent, half that eventually consistent (the default); GetItem and each item of a
    batch round up on their own, Query and Scan round up the sum of what they read
    (CapacityUnitCalculations.html); transactions cost 2x a strong read."""
    if operation == "GetItem":
        return _read(item_size(response.get("Item") or {}), request)
    if operation == "BatchGetItem":
        total = 0.0
        for table, items in (response.get("Responses") or {}).items():
            keys = (request.get("RequestItems") or {}).get(table) or {}
            for item in items:
                total += _read(item_size(item), keys)
        return total
    if operation in ("Query", "Scan", "ExecuteStatement"):
        return _read(sum(item_size(item) for item in response.get("Items") or ()), request)
    if operation == "TransactGetItems":
        return sum(
            2.0 * max(1, math.ceil(item_size(r.get("Item") or {}) / 4096))
            for r in response.get("Responses") or ()
        )
    return 0.0


def _read(size: int, request: dict[str, Any]) -> float:
    units = float(max(1, math.ceil(size / 4096)))
    return units if request.get("ConsistentRead") else units / 2


def _units(item: dict[str, Any]) -> float:
    return float(max(1, math.ceil(item_size(item) / 1024)))


def item_size(item: dict[str, Any]) -> int:
    """An item's size in bytes as DynamoDB counts it for capacity: the sum of its attribute
    names' and values' lengths (DynamoDB Developer Guide, "DynamoDB item sizes and formats",
    CapacityUnitCalculations.html). `item` is in the wire format: {"name": {"S": "value"}}."""
    return sum(_utf8(name) + _value_size(value) for name, value in item.items())


def _value_size(value: Any) -> int:
    if not isinstance(value, dict) or len(value) != 1:
        return 0  # not a typed value: botocore's validation has already refused it
    ((kind, content),) = value.items()
    if kind == "S":
        return _utf8(content)
    if kind == "N":
        return _number_size(content)
    if kind == "B":
        return _binary_size(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":  # 3 bytes of overhead, and 1 per element
        return 3 + sum(1 + _value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + _utf8(name) + _value_size(v) for name, v in content.items())
    if kind == "SS":
        return sum(_utf8(element) for element in content)
    if kind == "NS":
        return sum(_number_size(element) for element in content)
    if kind == "BS":
        return sum(_binary_size(element) for element in content)
    return 0


def _utf8(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def _number_size(number: str) -> int:
    """1 byte per two significant digits, plus 1; leading and trailing zeros do not count."""
    mantissa = number.lower().split("e", 1)[0].lstrip("+-")
    digits = mantissa.replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def _binary_size(encoded: str | bytes) -> int:
    """The raw length: on the wire binary values are base64."""
    text = encoded.decode() if isinstance(encoded, bytes) else encoded
    return len(text) * 3 // 4 - text[-2:].count("=")
