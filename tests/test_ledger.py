"""The ledger: append-only records, their canonical form and digest (DESIGN.md section 6:
`ledger_digest`, "sha256 of the canonical ledger, equal for equal seeds")."""

from __future__ import annotations

import json
from pathlib import Path

from chaos._ledger import (
    KIND,
    RECORD_TYPES,
    DeadLettered,
    Invoked,
    Ledger,
    Sent,
    as_dict,
)


def ledger_of(*records: object) -> Ledger:
    ledger = Ledger()
    for record in records:
        ledger.append(record)  # type: ignore[arg-type]
    return ledger


def test_every_record_kind_has_a_distinct_snake_case_name() -> None:
    kinds = [KIND[cls] for cls in RECORD_TYPES]
    assert len(set(kinds)) == len(kinds)
    assert KIND[DeadLettered] == "dead_lettered"


def test_the_digest_depends_on_every_record_and_their_order() -> None:
    a, b = Sent(0.0, "r1", 1, False), Sent(1.0, "r2", 1, False)
    assert ledger_of(a, b).digest() == ledger_of(a, b).digest()
    assert ledger_of(a, b).digest() != ledger_of(b, a).digest()
    assert ledger_of(a, b).digest() != ledger_of(a, b._replace(t=1.5)).digest()


def test_of_filters_one_kind_in_order() -> None:
    sent = [Sent(float(i), f"r{i}", 1, False) for i in range(3)]
    invoked = Invoked(0.5, "f-1", "f", ("r0",), True)
    ledger = ledger_of(sent[0], invoked, sent[1], sent[2])
    assert list(ledger.of(Sent)) == sent
    assert list(ledger.of(Invoked)) == [invoked]


def test_jsonl_holds_one_named_object_per_record(tmp_path: Path) -> None:
    records = [Sent(0.0, "r1", 1, True), Invoked(0.5, "f-1", "f", ("r1",), True)]
    path = tmp_path / "ledger.jsonl"
    ledger_of(*records).write_jsonl(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [json.loads(json.dumps(as_dict(r))) for r in records]
    assert lines[0]["kind"] == "sent" and lines[0]["poison"] is True
    assert not list(tmp_path.glob("*.tmp"))


def test_the_digest_is_the_hash_of_the_canonical_json_encoded_whole() -> None:
    """The digest is hashed a batch of records at a time (the canonical text of a big run
    held whole cost ~140 MB), yet is the SHA-256 of the one canonical JSON document, so no
    recorded digest moves: empty, under one batch, exactly one, over several, non-ASCII."""
    import hashlib

    from chaos._ledger import _BATCH, InvocationEnded, InvocationOutcome

    def whole(ledger: Ledger) -> str:
        text = json.dumps(ledger.canonical(), separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    records: list[object] = []
    for i in range(3 * _BATCH + 17):
        records.append(Sent(i / 7, f"r{i:06d}", 1 + i % 3, i % 5 == 0))
        if i % 3 == 0:
            records.append(
                InvocationEnded(i / 7, f"f-{i}", "fé", InvocationOutcome.ERROR, "ünï", ("m1",))
            )
    for count in (0, 1, 5, _BATCH, _BATCH + 1, len(records)):
        ledger = ledger_of(*records[:count])
        assert ledger.digest() == whole(ledger), count


def test_records_read_back_as_appended() -> None:
    """Stored by column, records come back equal, of their own class, in append order, and
    a time that is not a float (SimPy's clock starts at the int 0) stays what it was: the
    canonical form writes 0, not 0.0."""
    from chaos._ledger import AwsCalled, FaultWindow, Responded, Stage

    records = [
        FaultWindow(0, 0, "lambda.throttle", "", "start"),
        Sent(0, "r1", 1, False),
        Sent(0.25, "r2", 1, True),
        Invoked(0.5, "f-1", "f", ("r1", "r2"), True),
        AwsCalled(0.75, "f-1", "r1", "dynamodb", "PutItem", "orders", "ok", False),
        Responded(1.0, "r1", 1, 200, Stage.OK),
        Sent(1.5, "r3", 2, False),
    ]
    ledger = ledger_of(*records)
    back = list(ledger)
    assert back == records and [type(r) for r in back] == [type(r) for r in records]
    assert type(back[0].t) is int and type(back[1].t) is int and type(back[2].t) is float
    assert list(ledger.of(Sent)) == [records[1], records[2], records[6]]
    assert ledger.canonical()[1] == ["sent", 0, "r1", 1, False] and len(ledger) == 7
    assert json.dumps(ledger.canonical()[5]) == '["responded", 1.0, "r1", 1, 200, "ok"]'


def test_a_record_costs_its_fields_not_an_object() -> None:
    """A named tuple with its float is ~90 bytes more than its fields; by column, a record
    whose values the models already hold costs ~8 bytes a field and one for its kind."""
    import tracemalloc

    ids = [f"r{i:06d}" for i in range(20_000)]
    tracemalloc.start()
    try:
        ledger = Ledger()
        for index, request_id in enumerate(ids):
            ledger.append(Sent(index / 3, request_id, 1, False))
        stored, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored / len(ledger) < 45  # 4 fields: 33 bytes, and the lists' spare room
