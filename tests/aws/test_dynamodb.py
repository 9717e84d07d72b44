"""DynamoDB capacity, the part moto lacks: a provisioned token bucket with burst credit,
write units per KB, and the `dynamodb.throttle` capacity cut. Sources are in
../shared/reference/aws-semantics.md section 5. (The SDK-visible side, real
ProvisionedThroughputExceededException responses below botocore, is pinned in
tests/engine/test_router.py.)
"""

from __future__ import annotations

from typing import Any

from chaos._aws.dynamodb import TableCapacity, item_size, write_units
from chaos._spec.system import TableDef
from tests.support import faults, no_faults


def provisioned(wcu: int, burst_seconds: float = 300.0, schedule: Any = None) -> TableCapacity:
    definition = TableDef.model_validate(
        {"billing": "provisioned", "write_capacity": wcu, "burst_seconds": burst_seconds}
    )
    return TableCapacity("orders", definition, schedule or no_faults())


def test_provisioned_capacity_keeps_300_seconds_of_burst_credit() -> None:
    """Provisioned tables keep up to 300 s of unused capacity as burst credit: 10 WCU idle
    for 5 min serve 3,000 writes at once, then the rate is the provisioned 10 per second.
    Source: aws-semantics.md 5.2 "Burst capacity", [KC] dynamodb-spiky-workloads-short-intervals,
    [DOC] burst-adaptive-capacity."""
    table = provisioned(10)
    assert sum(table.admit_write(0.0, 1.0) for _ in range(3_100)) == 3_000
    assert not table.admit_write(0.05, 1.0)
    assert sum(table.admit_write(1.0, 1.0) for _ in range(20)) == 10


def test_burst_credit_never_exceeds_300_seconds_of_capacity() -> None:
    """Unused capacity beyond 300 s is not kept. Source: aws-semantics.md 5.2."""
    table = provisioned(10)
    assert sum(table.admit_write(0.0, 1.0) for _ in range(3_000)) == 3_000
    assert sum(table.admit_write(10_000.0, 1.0) for _ in range(3_100)) == 3_000


def test_a_throttled_write_is_not_charged() -> None:
    """Throttled requests fail and are not charged. Source: aws-semantics.md 5.1
    "Throttled requests ... the request is not charged"."""
    table = provisioned(1, burst_seconds=0.0)
    assert table.admit_write(0.0, 1.0)
    assert not table.admit_write(0.5, 1.0)
    assert table.admit_write(1.0, 1.0), "the refused write at 0.5 s took nothing"


def test_write_units_are_one_per_started_kilobyte() -> None:
    """1 WCU writes up to 1 KB; larger items cost one unit per started KB; transactional
    writes cost double. Source: aws-semantics.md 5.1 "Writes", [DOC] read-write-operations."""
    small = {"Item": {"pk": {"S": "a"}}}
    big = {"Item": {"pk": {"S": "a"}, "blob": {"S": "x" * 1_500}}}
    assert write_units("PutItem", small) == 1.0
    assert write_units("PutItem", big) == 2.0
    assert write_units("UpdateItem", {}) == 1.0
    assert write_units("TransactWriteItems", {"TransactItems": [{"Put": small}]}) == 2.0
    assert (
        write_units(
            "BatchWriteItem",
            {
                "RequestItems": {
                    "t": [{"PutRequest": small}, {"PutRequest": big}, {"DeleteRequest": {}}]
                }
            },
        )
        == 4.0
    )
    assert write_units("GetItem", small) == 0.0


def test_item_size_is_names_plus_values_as_dynamodb_counts_them() -> None:
    """Strings count their UTF-8 bytes, numbers 1 byte per two significant digits plus 1
    (leading and trailing zeros trimmed), binary its raw bytes, null and boolean 1 byte,
    lists and maps 3 bytes plus 1 per element; each attribute adds its name's UTF-8 bytes.
    Source: DynamoDB Developer Guide, "DynamoDB item sizes and formats"
    (CapacityUnitCalculations.html)."""
    assert item_size({"id": {"S": "abc"}}) == 2 + 3
    assert item_size({"name": {"S": "żółw"}}) == 4 + 7  # UTF-8, not characters
    assert item_size({"n": {"N": "12345"}}) == 1 + 3 + 1
    assert item_size({"n": {"N": "-001200.500"}}) == 1 + 3 + 1  # 12005: zeros trimmed
    assert item_size({"b": {"B": "AAECAw=="}}) == 1 + 4  # base64 of 4 raw bytes
    assert item_size({"t": {"BOOL": True}, "z": {"NULL": True}}) == 2 + 2
    assert item_size({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}) == 1 + 3 + (1 + 2) + (1 + 2)
    assert item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert item_size({"s": {"SS": ["a", "bc"]}}) == 1 + 3


def test_a_write_of_exactly_one_kilobyte_costs_one_unit() -> None:
    """Source: aws-semantics.md 5.1 "Writes" (1 WCU = one write of up to 1 KB)."""
    exactly = {"Item": {"k": {"S": "x" * 1_023}}}  # 1 + 1,023 bytes
    assert item_size(exactly["Item"]) == 1_024
    assert write_units("PutItem", exactly) == 1.0
    assert write_units("PutItem", {"Item": {"k": {"S": "x" * 1_024}}}) == 2.0


def test_the_capacity_fault_cuts_capacity_without_burst_credit_for_its_window() -> None:
    """`dynamodb.throttle {capacity: N}` leaves the table N WCU per second during its window
    (no burst credit); afterwards the provisioned rate comes back. Source: aws-semantics.md 5.2
    (burst credit is best effort and "may be consumed"), 12 MUST "DynamoDB throttling"."""
    schedule = faults("[{dynamodb.throttle: {capacity: 2, at: 10s, for: 10s}}]")
    table = provisioned(100, schedule=schedule)
    assert sum(table.admit_write(9.0, 1.0) for _ in range(50)) == 50
    assert sum(table.admit_write(10.0, 1.0) for _ in range(50)) == 2
    assert sum(table.admit_write(11.0, 1.0) for _ in range(50)) == 2
    # Back to 100 WCU from t=20, the window's end: one second of it, plus the 2 units the
    # cut capacity had refilled (the first write after the window comes at t=21).
    assert sum(table.admit_write(21.0, 1.0) for _ in range(500)) == 102


def test_on_demand_tables_serve_their_limit_per_second() -> None:
    """On-demand tables serve 4,000 write units per second at once (a new table's initial
    throughput), configurable. Source: aws-semantics.md 5.3 "Initial throughput"."""
    definition = TableDef.model_validate({"billing": "on_demand", "on_demand_write_limit": 50})
    table = TableCapacity("orders", definition, no_faults())
    assert sum(table.admit_write(0.0, 1.0) for _ in range(80)) == 50
    assert sum(table.admit_write(1.0, 1.0) for _ in range(80)) == 50
