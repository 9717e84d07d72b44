"""The example user systems in examples/ run end to end, as the README's guide says.

Neither is a reference system. examples/payments: its own system definition, a handler using
the boto3 resource API, and an idempotency key that makes client retries safe.
examples/powertools-orders: an SQS consumer built on AWS Lambda Powertools (batch processing,
idempotency on DynamoDB, Logger, Metrics).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chaos._engine.runner import Outcome
from chaos._ledger import AwsCalled, DeadLettered, InvocationEnded, Invoked, Received
from chaos.api import counts, run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE = EXAMPLES / "payments"
POWERTOOLS = EXAMPLES / "powertools-orders"


@pytest.mark.slow
def test_payments_survive_retries_without_duplicates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLE)
    outcome = run(EXAMPLE / "retries.chaos.yaml", "payments")
    assert outcome.as_expected, outcome.reason
    figures = counts(outcome)
    assert figures["duplicated"] == 0
    assert figures["attempts"] > figures["sent"]  # the client did retry


@pytest.mark.slow
def test_the_reference_sync_system_duplicates_under_the_same_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(EXAMPLE)
    outcome = run(EXAMPLE / "retries.chaos.yaml", "sync")
    assert outcome.as_expected
    assert counts(outcome)["duplicated"] > 0


def receives(outcome: Outcome) -> dict[str, int]:
    """How many times each request's message was received."""
    assert outcome.result is not None, outcome.reason
    seen: dict[str, int] = {}
    for record in outcome.result.ledger.of(Received):
        seen[record.request_id] = max(seen.get(record.request_id, 0), record.receive_count)
    return seen


@pytest.mark.slow
def test_powertools_idempotency_ships_each_order_once_under_duplicate_deliveries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(POWERTOOLS)
    outcome = run(POWERTOOLS / "duplicates.chaos.yaml", "powertools-orders")
    figures = counts(outcome)
    assert figures["completed"] == figures["sent"] > 0
    assert figures["duplicated"] == 0
    assert any(count > 1 for count in receives(outcome).values())  # duplicates were delivered
    assert figures["reexecuted"] == 0  # each redelivery replayed the stored result


@pytest.mark.slow
def test_powertools_idempotency_calls_in_a_batch_are_attributed_to_their_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a multi-record batch, Powertools' idempotency record is keyed by a hash of the
    request id (`<function>#md5(json.dumps(key))`), not the id itself; the router attributes
    each such call to the one record of the batch it names, so the calls show in that
    request's story and count towards its executions (issue 14 item 2)."""
    monkeypatch.chdir(POWERTOOLS)
    outcome = run(POWERTOOLS / "duplicates.chaos.yaml", "powertools-orders")
    assert outcome.result is not None, outcome.reason
    ledger = outcome.result.ledger
    batches = {i.invocation_id: i.request_ids for i in ledger.of(Invoked) if len(i.request_ids) > 1}
    calls = [c for c in ledger.of(AwsCalled) if c.target == "idempotency"]
    in_batches = [c for c in calls if c.invocation_id in batches]
    assert in_batches, "some batches held several records"
    assert all(c.request_id in batches[c.invocation_id] for c in in_batches)


@pytest.mark.slow
def test_powertools_duplicate_deliveries_survive_under_pytest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(POWERTOOLS)
    outcome = run(POWERTOOLS / "duplicates.chaos.yaml", "powertools-orders")
    assert outcome.as_expected, outcome.reason
    assert counts(outcome)["dead_lettered"] == 0


@pytest.mark.slow
def test_powertools_partial_batch_responses_keep_healthy_batch_mates_out_of_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(POWERTOOLS)
    outcome = run(POWERTOOLS / "partial-batch.chaos.yaml", "powertools-orders")
    assert outcome.as_expected, outcome.reason
    assert outcome.result is not None
    ledger = outcome.result.ledger
    poison = {r.request_id for r in ledger.of(DeadLettered)}
    assert len(poison) == counts(outcome)["poison"] > 0
    retried = {rid for rid, count in receives(outcome).items() if count > 1}
    assert retried == poison  # healthy batch-mates were received once
    assert all(receives(outcome)[rid] == 3 for rid in poison)  # maxReceiveCount, then the DLQ
    mixed = [r for r in ledger.of(InvocationEnded) if r.outcome == "ok" and r.reported_failures]
    assert mixed, "some batches held healthy and poison orders together"


@pytest.mark.slow
def test_without_report_batch_item_failures_the_poison_orders_are_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(POWERTOOLS)
    outcome = run(POWERTOOLS / "partial-batch.chaos.yaml", "powertools-orders-unreported")
    assert outcome.as_expected, outcome.reason
    figures = counts(outcome)
    assert figures["lost"] > 0 and figures["dead_lettered"] < figures["poison"]


@pytest.mark.slow
def test_the_powertools_example_runs_from_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chaos", "run", "--jobs", "1", str(POWERTOOLS)],
        capture_output=True,
        text=True,
        check=False,
        cwd=POWERTOOLS,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "All 3 verdicts as expected." in done.stdout
