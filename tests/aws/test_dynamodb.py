"""DynamoDB capacity, the part moto lacks: a provisioned token bucket with burst credit,
write units per KB, the `dynamodb.throttle` capacity cut, read capacity, per-partition limits
and on-demand's previous-peak rule. Sources are in
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
    """On-demand tables serve at most their table limit a second (AWS: a 40,000 per-table
    quota, lowered by MaxWriteRequestUnits), however high their previous peak. Source:
    aws-semantics.md 5.3 "Initial throughput"; DynamoDB Developer Guide, "Service quotas"."""
    definition = TableDef.model_validate({"billing": "on_demand", "on_demand_write_limit": 50})
    table = TableCapacity("orders", definition, no_faults())
    assert sum(table.admit_write(0.0, 1.0) for _ in range(80)) == 50
    assert sum(table.admit_write(1.0, 1.0) for _ in range(80)) == 50


def on_demand(**settings: Any) -> TableCapacity:
    definition = TableDef.model_validate({"billing": "on_demand", **settings})
    return TableCapacity("orders", definition, no_faults())


def key(value: str) -> dict[str, str]:
    return {"S": value}


def test_a_hot_partition_key_is_throttled_at_1000_wcu_while_the_table_has_capacity() -> None:
    """Each partition serves at most 1,000 WCU a second, whatever the table's capacity: one
    partition key written 1,500 times in a second gets 1,000 through, while writes spread
    over many keys (hashed to the table's partitions) all pass. Source: DynamoDB Developer
    Guide, "Burst and adaptive capacity" ("each partition ... 3,000 RCUs or 1,000 WCUs") and
    "Designing partition keys to distribute your workload"."""
    table = on_demand()
    assert len(table.partition_writes) == 8
    assert sum(table.admit_write(0.0, 1.0, key("hot")) for _ in range(1_500)) == 1_000
    spread = on_demand()
    assert sum(spread.admit_write(0.0, 1.0, key(f"k{i}")) for i in range(1_500)) == 1_500


def test_a_hot_partition_key_is_throttled_at_3000_rcu() -> None:
    """...and at most 3,000 RCU a second: strongly consistent 1-RCU reads of one key stop
    being admitted once 3,000 units are charged in a second. Source: as above."""
    table = on_demand()
    admitted = 0
    for _ in range(4_000):
        if not table.admit_read(0.0, key("hot")):
            break
        table.charge_read(0.0, 1.0, key("hot"))
        admitted += 1
    assert admitted == 3_000
    assert table.admit_read(0.0, key("cold"))


def test_items_hash_to_partitions_by_their_partition_key() -> None:
    """Items are placed by a hash of the partition key value: the same key always lands on
    the same partition, and many keys use every partition. Source: DynamoDB Developer Guide,
    "Partitions and data distribution" ("DynamoDB uses the partition key's value as input to
    an internal hash function")."""
    table = on_demand()
    assert table.partition_of(key("a")) == table.partition_of(key("a"))
    assert {table.partition_of(key(f"k{i}")) for i in range(200)} == set(range(8))
    assert table.partition_of(None) is None


def test_partitions_follow_the_tables_throughput() -> None:
    """A documented simplification: a table has (RCU / 3,000) + (WCU / 1,000) partitions,
    rounded up; on-demand from double its previous peaks; no splits during a run."""
    from chaos._aws.dynamodb import partition_count

    def provisioned_def(rcu: int, wcu: int) -> TableDef:
        return TableDef.model_validate(
            {"billing": "provisioned", "read_capacity": rcu, "write_capacity": wcu}
        )

    assert partition_count(provisioned_def(5, 5)) == 1
    assert partition_count(provisioned_def(6_000, 2_500)) == 5
    assert partition_count(TableDef.model_validate({"billing": "on_demand"})) == 8


def test_on_demand_serves_double_the_previous_peak_and_a_new_peak_counts_30_minutes_on() -> None:
    """On-demand tables accommodate up to double their previous peak at once; a new table's
    previous peak is 2,000 writes a second (it serves 4,000); traffic above double the peak
    within 30 minutes can be throttled, and a peak reached counts once 30 minutes have
    passed. Source: DynamoDB Developer Guide, "DynamoDB on-demand capacity mode", "Peak
    traffic and scaling properties" ("up to double the previous peak traffic", "throttling
    can occur if you exceed double your previous peak within 30 minutes")."""
    table = on_demand(previous_peak_writes="100/s")
    spread = [key(f"k{i}") for i in range(1_000)]
    assert sum(table.admit_write(0.0, 1.0, k) for k in spread[:300]) == 200
    assert sum(table.admit_write(1.0, 1.0, k) for k in spread[:300]) == 200  # peak now 200
    assert sum(table.admit_write(1_000.0, 1.0, k) for k in spread[:500]) == 200, "not yet"
    assert sum(table.admit_write(1_802.0, 1.0, k) for k in spread[:500]) == 400


def test_on_demand_reads_follow_the_previous_read_peak() -> None:
    """Reads too: a new on-demand table serves 12,000 read units a second (double a previous
    peak of 6,000); here a peak of 10 serves 20. Source: as above."""
    table = on_demand(previous_peak_reads="10/s")
    admitted = 0
    for i in range(50):
        if table.admit_read(0.0, key(f"k{i}")):
            table.charge_read(0.0, 1.0, key(f"k{i}"))
            admitted += 1
    assert admitted == 20
