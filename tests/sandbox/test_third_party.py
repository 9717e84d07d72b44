"""Handlers as teams write them, run unchanged in virtual time (issue 11, item 1).

Each test runs a small experiment through the public API against a small system whose handler
lives in tests/sandbox/handlers/: pydantic v2 models, dataclasses and attrs with datetimes,
and AWS Lambda Powertools (batch, idempotency on DynamoDB, Logger, Metrics). Assertions are on
verdicts, counts and ledger records. Powertools behaviour is as its documentation states
(../shared/reference/aws-semantics.md section 8; round2-tools-and-scores.md section 3.5).
"""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest

import chaos
from chaos._engine.runner import Outcome
from chaos._ledger import AwsCalled, DeadLettered, InvocationEnded, Invoked, Received
from chaos.api import counts

pytestmark = pytest.mark.slow

HANDLERS = "tests.sandbox.handlers"


def system_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "system.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def sync_system(tmp_path: Path, handler: str, *, environment: str = "") -> Path:
    return system_file(
        tmp_path,
        f"""
        system: sut
        architecture: sync
        api: {{function: api}}
        functions:
          api:
            handler: {HANDLERS}.{handler}
            timeout: 10s
            environment: {{ORDERS_TABLE: orders{environment}}}
        tables:
          orders: {{partition_key: order_id}}
          idempotency: {{partition_key: id}}
        effects: {{table: orders}}
        """,
    )


def queue_system(
    tmp_path: Path, handler: str, *, environment: str = "", timeout: str = "10s"
) -> Path:
    return system_file(
        tmp_path,
        f"""
        system: sut
        architecture: event_driven
        queue:
          name: orders-queue
          visibility_timeout: 30s
          dead_letter: {{name: orders-dlq, max_receive_count: 3}}
        consumer:
          function: consumer
          batch_size: 10
          batching_window: 2s
          maximum_concurrency: 2
          report_batch_item_failures: true
        functions:
          consumer:
            handler: {HANDLERS}.{handler}
            timeout: {timeout}
            environment: {{ORDERS_TABLE: orders, IDEMPOTENCY_TABLE: idempotency{environment}}}
        tables:
          orders: {{partition_key: order_id}}
          idempotency: {{partition_key: id}}
        effects: {{table: orders}}
        """,
    )


def run(system: Path, body: str) -> Outcome:
    text = f"experiment: third-party\nsystems: ['{system}']\n" + textwrap.dedent(body)
    return chaos.run(text, "sut")


def ended(outcome: Outcome) -> Counter[tuple[str, str]]:
    """How the invocations ended: (outcome, error type) -> how many."""
    assert outcome.result is not None, outcome.reason
    return Counter((r.outcome, r.detail) for r in outcome.result.ledger.of(InvocationEnded))


def assert_all_completed(outcome: Outcome) -> dict[str, int]:
    figures = counts(outcome)
    assert outcome.as_expected, (outcome.reason, ended(outcome))
    assert figures["completed"] == figures["sent"] - figures["poison"] > 0, ended(outcome)
    return figures


# -- pydantic, dataclasses, attrs ---------------------------------------------------------


def test_pydantic_models_with_datetime_fields_validate_in_handler_code(tmp_path: Path) -> None:
    # The module (models with datetime, date, time, AwareDatetime, FutureDatetime fields and a
    # TypeAdapter) is executed per environment under the clock; the handler checks that its
    # order survives model_dump_json and that placed_at is the invocation's virtual time.
    outcome = run(
        sync_system(tmp_path, "models:handle"),
        "duration: 1m\nworkload: {steady: {rate: 5/s, for: 20s}, poison: 5%}\n",
    )
    assert_all_completed(outcome)
    assert set(ended(outcome)) == {("ok", "")}


def test_dataclasses_and_attrs_classes_with_datetimes_work_in_handler_code(
    tmp_path: Path,
) -> None:
    outcome = run(
        sync_system(tmp_path, "records:handle"),
        "duration: 1m\nworkload: {steady: {rate: 5/s, for: 20s}}\n",
    )
    assert_all_completed(outcome)
    assert set(ended(outcome)) == {("ok", "")}


# -- Powertools batch processing -------------------------------------------------------------


def test_partial_batch_responses_retry_only_the_failed_records(tmp_path: Path) -> None:
    # AWS (aws-semantics.md 4.3): with ReportBatchItemFailures only the listed messages return
    # to the queue; the rest of the batch is deleted. Poison records alone are received again,
    # up to maxReceiveCount (3), then moved to the DLQ.
    outcome = run(
        queue_system(tmp_path, "batch:handle"),
        """
        duration: 4m
        workload: {steady: {rate: 4/s, for: 30s}, poison: 10%}
        assertions: [no_loss, no_duplicate_effects, {dlq: exact}]
        """,
    )
    figures = assert_all_completed(outcome)
    assert outcome.result is not None
    ledger = outcome.result.ledger
    poison = {r.request_id for r in ledger.of(DeadLettered)}
    assert len(poison) == figures["poison"] > 0
    receives = Counter(r.request_id for r in ledger.of(Received))
    assert {rid for rid, n in receives.items() if n > 1} == poison
    assert all(receives[rid] == 3 for rid in poison)
    partial = [r for r in ledger.of(InvocationEnded) if r.outcome == "ok" and r.reported_failures]
    assert partial, "some batches mixed healthy and poison records"


# -- Powertools idempotency ------------------------------------------------------------------


def idempotency_calls(outcome: Outcome) -> Counter[tuple[str, str]]:
    """The handlers' calls on the idempotency table: (operation, outcome) -> how many."""
    assert outcome.result is not None
    return Counter(
        (r.operation, r.outcome)
        for r in outcome.result.ledger.of(AwsCalled)
        if r.target == "idempotency"
    )


DUPLICATES = """
duration: 3m
workload: {steady: {rate: 4/s, for: 30s}}
faults:
  - sqs.duplicate_delivery: {probability: 50%, at: 0s, for: 30s}
"""


def test_a_duplicate_within_the_expiry_window_is_not_executed_again(tmp_path: Path) -> None:
    # Powertools: a COMPLETE record answers a duplicate with the stored response, without
    # executing the function again (aws-semantics.md 8). Redeliveries come 30 s later (the
    # visibility timeout), well within expires_after_seconds (1 h).
    outcome = run(queue_system(tmp_path, "idempotent:consume"), DUPLICATES)
    figures = assert_all_completed(outcome)
    assert figures["duplicated"] == 0
    assert outcome.result is not None
    redelivered = sum(1 for r in outcome.result.ledger.of(Received) if r.receive_count > 1)
    assert redelivered > 0
    calls = idempotency_calls(outcome)
    # One record written per order; each redelivery meets it (a failed conditional put).
    assert calls[("PutItem", "ok")] == figures["sent"]
    assert calls[("PutItem", "ConditionalCheckFailedException")] == redelivered
    assert calls[("UpdateItem", "ok")] == figures["sent"]  # INPROGRESS -> COMPLETED


def test_a_duplicate_after_the_expiry_window_is_executed_again(tmp_path: Path) -> None:
    # expires_after_seconds: 10 and redeliveries 30 s later in virtual time: each record has
    # expired, so the duplicate executes again (Powertools: `#expiry < :now`).
    outcome = run(
        queue_system(
            tmp_path, "idempotent:consume", environment=", IDEMPOTENCY_EXPIRES_AFTER: '10'"
        ),
        DUPLICATES + "expect: {sut: fails}\n",
    )
    figures = counts(outcome)
    assert outcome.as_expected, outcome.reason
    assert outcome.result is not None
    redelivered = {r.request_id for r in outcome.result.ledger.of(Received) if r.receive_count > 1}
    assert figures["duplicated"] == len(redelivered) > 0
    assert idempotency_calls(outcome)[("PutItem", "ConditionalCheckFailedException")] == 0


def test_a_concurrent_duplicate_meets_the_in_progress_record(tmp_path: Path) -> None:
    # The client gives up after 1 s and retries while the first execution (5 s) still runs:
    # the retry finds the INPROGRESS record and fails with IdempotencyAlreadyInProgressError;
    # a retry after the first one completed gets its stored response.
    system = sync_system(
        tmp_path, "idempotent:capture", environment=", IDEMPOTENCY_TABLE: idempotency"
    )
    system.write_text(
        system.read_text().replace("{ORDERS_TABLE", "{WORK_SECONDS: '5', ORDERS_TABLE")
    )
    outcome = run(
        system,
        """
        duration: 2m
        workload:
          steady: {rate: 1/s, for: 20s}
          client:
            timeout: 1s
            retry: {attempts: 5, backoff: 2s, max_backoff: 4s, jitter: false, when: [5xx, timeout]}
        assertions: [no_loss, no_duplicate_effects, {success_rate: 100%}]
        """,
    )
    figures = assert_all_completed(outcome)
    assert figures["duplicated"] == 0
    assert ended(outcome)[("error", "IdempotencyAlreadyInProgressError")] > 0


def test_a_timed_out_execution_does_not_block_its_retry(tmp_path: Path) -> None:
    # register_lambda_context: the in-progress record expires at the function's timeout
    # (in_progress_expiration = now + remaining time), so the redelivery 30 s later runs.
    slow = "1767225615"  # the first 15 s of virtual time (epoch 2026-01-01T00:00:00Z)
    outcome = run(
        queue_system(
            tmp_path, "idempotent:consume", environment=f", SLOW_UNTIL: '{slow}'", timeout="5s"
        ),
        "duration: 3m\nworkload: {steady: {rate: 2/s, for: 30s}}\n"
        "assertions: [no_loss, no_duplicate_effects, {dlq: only_poison}]\n",
    )
    figures = assert_all_completed(outcome)
    assert figures["duplicated"] == 0
    assert ended(outcome)[("timeout", "Sandbox.Timedout")] > 0


def test_without_the_lambda_context_a_timed_out_record_stays_in_progress(tmp_path: Path) -> None:
    # Without register_lambda_context no in-progress expiry is written (round2 section 3.5):
    # the record of a timed-out execution blocks every retry (IdempotencyAlreadyInProgressError)
    # until it expires, and the message ends in the DLQ. powertools-lambda-python #4759 is the
    # same failure when the remaining time reads 0.
    slow = "1767225615"
    outcome = run(
        queue_system(
            tmp_path,
            "idempotent:consume",
            environment=f", SLOW_UNTIL: '{slow}', REGISTER_CONTEXT: '0'",
            timeout="5s",
        ),
        "duration: 3m\nworkload: {steady: {rate: 2/s, for: 30s}}\n"
        "assertions: [no_loss, {dlq: only_poison}]\nexpect: {sut: fails}\n",
    )
    assert outcome.as_expected, outcome.reason
    assert outcome.result is not None
    ledger = outcome.result.ledger
    started = {r.invocation_id: r.request_ids for r in ledger.of(Invoked)}
    timed_out = {
        rid
        for r in ledger.of(InvocationEnded)
        if r.outcome == "timeout"
        for rid in started[r.invocation_id]
    }
    # The record each timed-out batch was shipping when it ran out of time, and only that one:
    # its batch-mates had not started, so they hold no record and their retries ship.
    stuck = {r.request_id for r in ledger.of(DeadLettered)}
    assert stuck and stuck <= timed_out
    assert counts(outcome)["completed"] == counts(outcome)["sent"] - len(stuck)
    assert idempotency_calls(outcome)[("PutItem", "ConditionalCheckFailedException")] > 0


def test_idempotency_records_are_keyed_by_the_lambda_function_name(tmp_path: Path) -> None:
    outcome = run(
        queue_system(tmp_path, "idempotent:consume", environment=", CHECK_KEY: '1'"),
        "duration: 1m\nworkload: {steady: {rate: 2/s, for: 10s}}\n",
    )
    assert_all_completed(outcome)
    assert set(ended(outcome)) == {("ok", "")}


# -- Powertools Logger and Metrics -----------------------------------------------------------


def test_logger_and_metrics_run_as_in_any_powertools_function(tmp_path: Path) -> None:
    outcome = run(
        queue_system(tmp_path, "observed:handle"),
        """
        duration: 3m
        workload: {steady: {rate: 4/s, for: 30s}, poison: 5%}
        assertions: [no_loss, no_duplicate_effects, {dlq: exact}]
        """,
    )
    assert_all_completed(outcome)
    assert set(ended(outcome)) == {("ok", "")}


@pytest.mark.xfail(
    strict=True,
    reason="needs its own issue: Powertools Metrics keeps its metric set at class level, shared "
    "by every execution environment of the process (on AWS each is a process of its own)",
)
def test_each_environment_flushes_only_its_own_metrics(tmp_path: Path) -> None:
    outcome = run(
        queue_system(tmp_path, "observed:handle", environment=", CHECK_METRICS: '1'"),
        "duration: 2m\nworkload: {steady: {rate: 20/s, for: 20s}}\n",
    )
    assert_all_completed(outcome)
    assert set(ended(outcome)) == {("ok", "")}


def test_an_invocation_without_metrics_only_warns(tmp_path: Path) -> None:
    # A redelivered order is answered from its idempotency record: nothing is shipped, no
    # metric is added, and Metrics warns "No application metrics to publish" (AWS: a log line).
    system = queue_system(
        tmp_path, "idempotent:consume_with_metrics", environment=", COUNT_SHIPMENTS: '1'"
    )
    outcome = run(
        system, DUPLICATES + "assertions: [no_loss, no_duplicate_effects, {dlq: only_poison}]\n"
    )
    figures = assert_all_completed(outcome)
    assert figures["dead_lettered"] == 0
