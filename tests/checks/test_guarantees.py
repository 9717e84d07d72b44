"""Delivery guarantees end to end on the reference systems: each test names the behaviour the
run shows and the assertion that catches it (issue 4, "Done when"). Sources:
../shared/reference/aws-semantics.md sections 2.2, 3.1, 3.2, 3.4, 4.3; DESIGN.md section 7.
"""

from __future__ import annotations

from typing import Any

import pytest

from chaos._checks.evidence import Evidence
from chaos._checks.verdict import AssertionResult, RunVerdict, Status
from chaos._ledger import AwsCalled, Expired, InvocationEnded, InvocationOutcome, Throttled
from tests.support import installed_sdk_attempts, judged, reference, run_yaml


def judge_run(
    text: str, system: str, overrides: dict[str, Any] | None = None
) -> tuple[Evidence, RunVerdict]:
    return judged(run_yaml(text, reference(system, overrides)))


def named(verdict: RunVerdict, name: str) -> AssertionResult:
    (found,) = [r for r in verdict.results if r.name == name]
    return found


NO_DLQ_SHORT_RETENTION = {"queue": {"retention": "60s", "dead_letter": None}}


def test_short_retention_without_a_dlq_loses_messages_in_a_long_outage() -> None:
    """An event-driven system with no DLQ and 60 s retention, during a 5-minute consumer
    outage: SQS deletes the waiting messages when retention runs out, silently. `no_loss`
    fails and names retention expiry as the cause. Source: aws-semantics.md 3.1 "Message
    retention ... the loss is silent", 4.3 (throttled batches return to the queue)."""
    evidence, verdict = judge_run(
        """
        experiment: retention-expiry
        duration: 10m
        workload: {steady: {rate: 2/s, for: 1m}}
        faults: [{lambda.throttle: {concurrency: 0, at: 0s, for: 5m}}]
        assertions: [no_loss]
    """,
        "eda",
        NO_DLQ_SHORT_RETENTION,
    )
    counts = evidence.accounting.counts()
    assert counts["accepted"] == 120
    assert counts["lost"] == counts["expired"] > 0
    result = named(verdict, "no_loss")
    assert result.status is Status.FAILED
    assert result.finding is not None
    assert [cause for cause, _ in result.finding.causes] == [
        "SQS retention expiry during lambda.throttle"
    ]


def test_every_lost_request_is_explained_by_its_fault_and_stage() -> None:
    """A finding for a failing run names, for each lost request, the stage (retention expiry
    in the queue) and the fault behind it (the consumer outage), even when the message expired
    after the fault window had closed; the causes add up to the lost count and the finding
    shows the command that reproduces the run. Source: issue 4 "A finding printed for a
    failing run names the fault and stage that caused each lost request"."""
    evidence, verdict = judge_run(
        """
        experiment: outage-then-expiry
        duration: 5m
        workload: {steady: {rate: 2/s, for: 30s}}
        faults: [{lambda.throttle: {concurrency: 0, at: 0s, for: 45s}}]
        assertions: [no_loss]
    """,
        "eda",
        NO_DLQ_SHORT_RETENTION,
    )
    result = named(verdict, "no_loss")
    assert result.status is Status.FAILED and result.finding is not None
    lost = evidence.accounting.counts()["lost"]
    expired_after_window = [e for e in evidence.result.ledger.of(Expired) if e.t >= 45.0]
    assert expired_after_window, "the scenario must include expiries after the window"
    assert sum(count for _, count in result.finding.causes) == lost
    for cause, _ in result.finding.causes:
        assert "retention expiry" in cause and "lambda.throttle" in cause, cause
    rendered = result.finding.render(reproduce="chaos-arena run outage.chaos.yaml --seed 1")
    assert "lambda.throttle" in rendered
    assert rendered.endswith("\n  reproduce: chaos-arena run outage.chaos.yaml --seed 1")


def test_low_consumer_concurrency_and_small_max_receive_count_dead_letter_healthy_messages() -> (
    None
):
    """Overpull: the event source mapping ignores the consumer's reserved concurrency (2), so
    its surplus invokes are throttled (a throttled mapping backs off, but not below its 5
    batches); each throttled batch comes back with its receive count raised, and over two
    minutes of load with maxReceiveCount 2 healthy messages reach the DLQ: `dlq: only_poison`
    fails, naming the throttles. Setting MaximumConcurrency to the reservation fixes it.
    Source: aws-semantics.md 4.3 "Throttled invocations", "Overpull", [KC] lambda-sqs-scaling;
    3.4 "Set maxReceiveCount >= 5"."""
    text = """
        experiment: overpull
        duration: 15m
        workload: {steady: {rate: 10/s, for: 2m}}
        assertions: [no_loss, {dlq: only_poison}]
    """
    overrides: dict[str, Any] = {
        "functions": {"consumer": {"reserved_concurrency": 2, "duration": {"base": "2s"}}},
        "consumer": {"maximum_concurrency": None},
        "queue": {"dead_letter": {"max_receive_count": 2}},
    }
    evidence, verdict = judge_run(text, "eda", overrides)
    result = named(verdict, "dlq")
    assert result.status is Status.FAILED
    assert evidence.accounting.counts()["dead_lettered"] > 0
    assert result.finding is not None
    assert all("throttled" in cause for cause, _ in result.finding.causes)
    assert named(verdict, "no_loss").status is Status.PASSED, "dead-lettered is not lost"

    overrides["consumer"] = {"maximum_concurrency": 2}
    fixed, verdict = judge_run(text, "eda", overrides)
    assert named(verdict, "dlq").status is Status.PASSED
    assert not list(fixed.result.ledger.of(Throttled))


DUPLICATES = """
    experiment: duplicate-deliveries
    duration: 5m
    workload: {steady: {rate: 5/s, for: 30s}}
    faults: [{sqs.duplicate_delivery: {probability: 30%}}]
    assertions: [no_loss, no_duplicate_effects]
"""


def test_duplicate_deliveries_break_a_non_idempotent_consumer() -> None:
    """SQS standard queues deliver at least once; a consumer that writes a new item per
    delivery applies some requests twice: `no_duplicate_effects` fails. Source:
    aws-semantics.md 3.2 "At-least-once delivery ... Design your applications to be
    idempotent", 4.3 "ESMs are at-least-once"."""
    evidence, verdict = judge_run(
        DUPLICATES,
        "eda",
        {
            "functions": {
                "consumer": {
                    "handler": "systems_under_test.eda.consumer:handle_without_idempotency"
                }
            }
        },
    )
    result = named(verdict, "no_duplicate_effects")
    assert result.status is Status.FAILED
    assert evidence.accounting.counts()["duplicated"] > 0
    assert named(verdict, "no_loss").status is Status.PASSED


def test_duplicate_deliveries_do_not_break_the_idempotent_reference_consumer() -> None:
    """The reference consumer writes with a conditional put keyed by the request id, so a
    redelivered message changes nothing: `no_duplicate_effects` passes under the same faults.
    Source: aws-semantics.md 5.5 "Conditional writes for idempotency", 8."""
    evidence, verdict = judge_run(DUPLICATES, "eda")
    assert named(verdict, "no_duplicate_effects").status is Status.PASSED
    assert evidence.accounting.counts()["completed"] == 150
    redelivered = [f for f in evidence.accounting.requests.values() if f.receives > 1]
    assert redelivered, "the fault did deliver some messages twice"


def test_a_sync_504_during_slow_writes_is_recovered_not_lost() -> None:
    """DynamoDB answers after 29.5 s: API Gateway has given up at 29 s (504), but the
    function's 30 s timeout has not passed, so the write commits. The request is recovered
    (not acknowledged, yet completed), never lost; it counts against the client success rate.
    Source: aws-semantics.md 2.2 "Timeouts do not stop the function", 2.3 (504); DESIGN.md
    section 7 ("504 phantom success is recovered, not lost")."""
    evidence, verdict = judge_run(
        """
        experiment: slow-writes
        duration: 3m
        workload: {steady: {rate: 1/s, for: 10s}}
        faults: [{dynamodb.latency: {delay: 29.5s, at: 0s, for: 5s}}]
        assertions: [no_loss, {success_rate: 100%}]
    """,
        "sync",
    )
    counts = evidence.accounting.counts()
    assert counts["recovered"] == 5 and counts["lost"] == 0
    recovered = [f for f in evidence.accounting.requests.values() if f.recovered]
    assert all(f.stages == ["integration_timeout"] and f.statuses == [504] for f in recovered)
    assert named(verdict, "no_loss").status is Status.PASSED
    success = named(verdict, "success_rate")
    assert success.status is Status.FAILED and success.finding is not None
    assert success.finding.causes == (
        ("API Gateway integration timeout (504) during dynamodb.latency", 5),
    )


@pytest.mark.parametrize("system", ["sync", "eda"])
def test_a_quiet_run_survives_on_both_systems(system: str) -> None:
    """The baseline: steady traffic under a fault both architectures absorb (a little Lambda
    latency) loses nothing, duplicates nothing, and survives. Source: DESIGN.md section 1."""
    _, verdict = judge_run(
        """
        experiment: baseline
        duration: 2m
        workload: {steady: {rate: 5/s, for: 30s}}
        faults: [{lambda.latency: {delay: 50ms, at: 5s, for: 10s}}]
        assertions: [no_loss, no_duplicate_effects, {success_rate: 100%}]
    """,
        system,
    )
    assert verdict.verdict.value == "survived", verdict.reason


def test_a_sync_rejection_names_the_throttle_and_the_sdk_attempts() -> None:
    """When DynamoDB throttles a sync write, the finding names the stage (DynamoDB throttle
    after the SDK's own attempts, client saw 502) and the fault window it happened in.
    The window outlasts the default (legacy) SDK's 25.55 s of backoff. Source: issue 4
    "Findings" ("DynamoDB throttle after N SDK attempts"); aws-semantics.md 5.4, 6.2, 2.3."""
    attempts = installed_sdk_attempts(400, "ProvisionedThroughputExceededException")
    _, verdict = judge_run(
        """
        experiment: throttled-writes
        duration: 2m
        workload: {steady: {rate: 1/s, for: 20s}}
        faults: [{dynamodb.throttle: {probability: 100%, at: 5s, for: 60s}}]
        assertions: [{success_rate: 100%}]
    """,
        "sync",
    )
    result = named(verdict, "success_rate")
    assert result.status is Status.FAILED and result.finding is not None
    assert [cause for cause, _ in result.finding.causes] == [
        f"DynamoDB throttle after {attempts} SDK attempts (client saw 502) during dynamodb.throttle"
    ]
    # What the scoreboard groups experiments by: the same in any experiment.
    assert [cause.phrase for cause, _ in result.finding.causes] == [
        f"DynamoDB throttle after {attempts} SDK attempts"
    ]


def test_a_write_in_flight_when_the_function_times_out_still_commits() -> None:
    """DynamoDB takes 15 s to answer writes; the consumer's 10 s timeout ends every invocation
    while its write is in flight. The requests reached the service (admitted: no throttle, no
    injected error), so the writes commit although their callers are gone: on AWS a request the
    service received is applied whether or not its caller is still alive (aws-semantics.md 1.5
    "Side effects completed before the timeout persist", 2.2 "Timeouts do not stop the
    function"; the router's docstring says which point counts as reached). The redelivered
    messages then find their order written: completed once, not twice."""
    evidence, _ = judge_run(
        """
        experiment: in-flight-writes
        duration: 3m
        workload: {steady: {rate: 1/s, for: 5s}}
        faults: [{dynamodb.latency: {delay: 15s, at: 0s, for: 5s}}]
        assertions: [no_loss]
    """,
        "eda",
    )
    ledger = evidence.result.ledger
    ended = ledger.of(InvocationEnded)
    timed_out = {e.invocation_id for e in ended if e.outcome is InvocationOutcome.TIMEOUT}
    committed = [
        c
        for c in ledger.of(AwsCalled)
        if c.invocation_id in timed_out and c.operation == "PutItem" and c.outcome == "ok"
    ]
    assert len(committed) == 5
    counts = evidence.accounting.counts()
    assert counts["completed"] == 5 and counts["duplicated"] == 0
    first_effects = {f.request_id: f.first_effect_at for f in evidence.accounting.requests.values()}
    assert {c.request_id: c.t for c in committed} == first_effects


def test_an_idempotent_overwrite_is_a_reexecution_not_a_duplicate() -> None:
    """A consumer keyed on the request id that writes unconditionally: each redelivery
    overwrites the order, so the table holds one item per request (no duplicate effect) while
    the processing ran twice; an external side effect (a charge, an e-mail) would have happened
    twice. `counts.reexecuted` counts, from the ledger, healthy requests written for by more
    than one invocation; `no_duplicate_effects` passes and says so, and its strict form
    `{count: executions}` fails. Source: aws-semantics.md 3.2 / 4.3 (at-least-once delivery:
    "make your function code idempotent"), issue 14 item 2."""
    overrides = {
        "functions": {"consumer": {"handler": "tests.engine.handlers:overwrite_each_record"}}
    }
    evidence, verdict = judge_run(DUPLICATES, "eda", overrides)
    counts = evidence.accounting.counts()
    assert counts["duplicated"] == 0
    assert counts["reexecuted"] > 0
    redelivered = {f.request_id for f in evidence.accounting.requests.values() if f.receives > 1}
    reexecuted = {f.request_id for f in evidence.accounting.requests.values() if f.reexecuted}
    assert reexecuted == redelivered
    lenient = named(verdict, "no_duplicate_effects")
    assert lenient.status is Status.PASSED
    assert f"{counts['reexecuted']:,} re-executed" in lenient.detail
    strict_text = DUPLICATES.replace(
        "no_duplicate_effects]", "{no_duplicate_effects: {count: executions}}]"
    )
    _, strict_verdict = judge_run(strict_text, "eda", overrides)
    strict = named(strict_verdict, "no_duplicate_effects")
    assert strict.status is Status.FAILED
    assert strict.finding is not None and len(strict.finding.stories) > 0
    # The score's degree: the share of requests not executed twice (README, Resilience score).
    requests = len(evidence.accounting.requests)
    assert strict.degree == pytest.approx(1 - counts["reexecuted"] / requests)


def test_a_conditional_write_that_fails_is_no_reexecution() -> None:
    """The reference consumer's redeliveries meet ConditionalCheckFailedException: no second
    successful write, so nothing is re-executed, and the strict form passes. Source:
    aws-semantics.md 5.5 (conditional writes for idempotency)."""
    strict_text = DUPLICATES.replace(
        "no_duplicate_effects]", "{no_duplicate_effects: {count: executions}}]"
    )
    evidence, verdict = judge_run(strict_text, "eda")
    assert any(f.receives > 1 for f in evidence.accounting.requests.values())
    assert evidence.accounting.counts()["reexecuted"] == 0
    assert named(verdict, "no_duplicate_effects").status is Status.PASSED
