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
