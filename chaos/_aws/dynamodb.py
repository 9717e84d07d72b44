"""DynamoDB capacity: what moto lacks (../shared/reference/aws-semantics.md §5).

Provisioned tables are token buckets of write and read capacity units refilled at the
provisioned rates that keep up to `burst_seconds` (AWS: 300 s) of unused capacity; on-demand
tables serve up to double their previous peak a second at once (a new peak counts 30 minutes
later), up to the table's limit. Items hash to partitions by their partition key, and each
partition serves at most 1,000 WCU and 3,000 RCU a second, so one hot key is throttled while
the table has capacity left. A write costs one WCU per started KB of item and is charged
whether its condition holds or not (a failed conditional write still consumes capacity); a
throttled write is not charged. A read is admitted while capacity is left and charged what it
read (`read_units`) once answered. Batches, queries and scans are charged to the table alone.
"""

from __future__ import annotations

import json
import math
import zlib
from collections import deque
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


PARTITION_WRITE_UNITS = 1_000.0
"""A partition serves at most 1,000 WCU a second (DynamoDB Developer Guide, "Partitions and
data distribution" and "Burst and adaptive capacity": "each partition ... 3,000 RCU or 1,000
WCU per second")."""
PARTITION_READ_UNITS = 3_000.0
"""...and at most 3,000 RCU a second."""
PEAK_MATURES_AFTER = 1_800.0
"""On-demand: a new peak raises what the table serves at once only 30 minutes later
("throttling can occur if you exceed double your previous peak within 30 minutes",
DynamoDB Developer Guide, "DynamoDB on-demand capacity mode", Peak traffic and scaling)."""
_SMALLEST_READ = 0.5
"""An eventually consistent read of up to 4 KB: the least a read can cost."""


def partition_count(definition: TableDef) -> int:
    """Partitions of a new table, by a documented simplification: as many as its throughput
    needs, (RCU / 3,000) + (WCU / 1,000) rounded up (the sizing rule DynamoDB's developer
    guide gave for a new table's partitions); on-demand from the throughput it serves at once
    (double its previous peaks). Partitions do not split during a run: DynamoDB splits for
    size (10 GB) or for sustained heat over minutes, neither of which a run's tables reach."""
    if definition.billing == "provisioned":
        reads, writes = float(definition.read_capacity), float(definition.write_capacity)
    else:
        reads, writes = 2 * definition.previous_peak_reads, 2 * definition.previous_peak_writes
    return max(1, math.ceil(reads / PARTITION_READ_UNITS + writes / PARTITION_WRITE_UNITS))


def partition_key_value(operation: str, body: dict[str, Any], key_name: str) -> Any:
    """The partition key value a single-item call names (None for batches, queries and
    scans, which this model charges to the table alone)."""
    if operation == "PutItem":
        return (body.get("Item") or {}).get(key_name)
    if operation in ("GetItem", "UpdateItem", "DeleteItem"):
        return (body.get("Key") or {}).get(key_name)
    return None


class _Peak:
    """An on-demand table's previous peak (units a second) and what it serves at once:
    double the peak, up to the table's limit; a higher second counts 30 minutes on."""

    def __init__(self, initial: float, limit: float) -> None:
        self.peak = initial
        self._limit = limit
        self._second = 0
        self._used = 0.0
        self._highest = initial
        self._maturing: deque[tuple[float, float]] = deque()

    def served(self, now: float) -> float:
        self._roll(now)
        while self._maturing and self._maturing[0][0] <= now:
            self.peak = max(self.peak, self._maturing.popleft()[1])
        return min(self._limit, 2 * self.peak)

    def record(self, now: float, units: float) -> None:
        self._roll(now)
        self._used += units

    def _roll(self, now: float) -> None:
        second = math.floor(now)
        if second == self._second:
            return
        if self._used > self._highest:
            self._highest = self._used
            self._maturing.append((self._second + 1 + PEAK_MATURES_AFTER, self._used))
        self._second, self._used = second, 0.0


def _grown(bucket: TokenBucket, now: float, served: float) -> TokenBucket:
    """A one-second bucket serving `served` a second from now on: what the table gained
    is there at once (it serves double its peak "instantly")."""
    level = bucket.level(now) + served - bucket.rate
    return TokenBucket(served, served, level=min(served, level), now=now)


class TableCapacity:
    """The read and write capacity of one table and of its partitions; write capacity is
    reshaped while `dynamodb.throttle` cuts it."""

    def __init__(self, name: str, definition: TableDef, faults: FaultSchedule) -> None:
        self.name = name
        self.faults = faults
        self.key_name = definition.partition_key
        self.throttle_code: ThrottleCode
        """What the table answers when this model throttles a call."""
        self._write_peak: _Peak | None = None
        self._read_peak: _Peak | None = None
        if definition.billing == "provisioned":
            rate, reads = float(definition.write_capacity), float(definition.read_capacity)
            burst = max(definition.burst_seconds, 1.0)
            self._normal = (rate, rate * burst)
            self.reads = TokenBucket(reads, reads * burst)
            self.throttle_code = "ProvisionedThroughputExceededException"
        else:
            self._write_peak = _Peak(
                definition.previous_peak_writes, definition.on_demand_write_limit
            )
            self._read_peak = _Peak(definition.previous_peak_reads, definition.on_demand_read_limit)
            limit, reads = self._write_peak.served(0.0), self._read_peak.served(0.0)
            self._normal = (limit, limit)
            self.reads = TokenBucket(reads, reads)
            self.throttle_code = definition.on_demand_throttle_code
        self._shape = self._normal
        self.bucket = TokenBucket(*self._normal)
        count = partition_count(definition)
        self.partition_writes = [
            TokenBucket(PARTITION_WRITE_UNITS, PARTITION_WRITE_UNITS) for _ in range(count)
        ]
        self.partition_reads = [
            TokenBucket(PARTITION_READ_UNITS, PARTITION_READ_UNITS) for _ in range(count)
        ]

    def partition_of(self, key: Any) -> int | None:
        """Which partition holds items with this partition key value: a stable hash of the
        typed value, as DynamoDB hashes the partition key (None: no single item named)."""
        if key is None:
            return None
        encoded = json.dumps(key, sort_keys=True).encode()
        return zlib.crc32(encoded) % len(self.partition_writes)

    def admit_write(self, now: float, units: float, key: Any = None) -> bool:
        """Charge `units` WCU now to the table and the key's partition; False means the
        write is throttled (and nothing is charged)."""
        self._follow_peak(now)
        shape = self._wanted_shape(now)
        if shape != self._shape:
            self._shape = shape
            # Reshaped lazily, at the first write after the change, but from when it changed:
            # capacity that came back at a window's end refills from then, not from now.
            self.bucket.reshape(self._changed_at(now), *shape)
        partition = self.partition_of(key)
        if partition is not None and self.partition_writes[partition].level(now) + 1e-9 < units:
            return False  # a hot partition: throttled whatever the table has left
        if not self.bucket.take(now, units):
            return False
        if partition is not None:
            self.partition_writes[partition].take(now, units)
        if self._write_peak is not None:
            self._write_peak.record(now, units)
        return True

    def admit_read(self, now: float, key: Any = None) -> bool:
        """Whether a read may start: the table and the key's partition have capacity left
        for the smallest read. What it consumed is charged when its answer is known
        (`charge_read`), as DynamoDB meters reads by the size it returns."""
        if self._read_peak is not None:
            served = self._read_peak.served(now)
            if served != self.reads.rate:
                self.reads = _grown(self.reads, now, served)
        partition = self.partition_of(key)
        if partition is not None and self.partition_reads[partition].level(now) < _SMALLEST_READ:
            return False
        return self.reads.level(now) >= _SMALLEST_READ

    def charge_read(self, now: float, units: float, key: Any = None) -> None:
        """Charge a served read's units; a large one may leave a debt the refill pays first."""
        self.reads.spend(now, units)
        partition = self.partition_of(key)
        if partition is not None:
            self.partition_reads[partition].spend(now, units)
        if self._read_peak is not None:
            self._read_peak.record(now, units)

    def _follow_peak(self, now: float) -> None:
        """On-demand: what the table serves at once follows its previous peak."""
        if self._write_peak is None:
            return
        served = self._write_peak.served(now)
        before = self._normal[0]
        if served == before:
            return
        self._normal = (served, served)
        if self._shape == (before, before):  # no capacity cut under way: grow now
            self.bucket = _grown(self.bucket, now, served)
            self._shape = self._normal

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
