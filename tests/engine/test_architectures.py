"""The two reference architectures under the faults that tell them apart (issue 2, "Done
when"), end to end from YAML experiments through the engine, the checks and the journal.
Sources: DESIGN.md section 1 ("Why it matters"), ../shared/reference/aws-semantics.md
sections 1.1, 2.3, 3.4, 4.3, 6.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from chaos._engine.runner import Outcome, run_one
from chaos._ledger import AwsCalled, DeadLettered, Invoked, Received, Responded, Sent
from chaos._report.journal import journal
from chaos._spec.loader import LoadedExperiment
from tests.support import experiment, installed_sdk_attempts, reference

PTEE = "ProvisionedThroughputExceededException"


def outcome(text: str, system: str) -> Outcome:
    loaded = LoadedExperiment(experiment(text), Path("test.chaos.yaml"), 1)
    return run_one(loaded, reference(system))


def counts(result: Outcome) -> dict[str, Any]:
    return journal(result)["counts"]  # type: ignore[no-any-return]


BURST = """
    experiment: burst
    duration: 1m
    workload: {bursts: [{rate: 500/s, at: 0s, for: 1s}]}
    assertions: [no_loss, {success_rate: 100%}]
"""


@pytest.mark.slow
def test_a_burst_beyond_lambda_concurrency_rejects_sync_requests_but_eda_takes_all() -> None:
    """500 requests in one second against a function reserved at 50: sync invocations beyond
    the reservation are throttled and the client sees 500 (API Gateway maps a Lambda 429 to
    500); the event-driven system accepts every request into the queue and completes each one,
    with zero loss. Source: aws-semantics.md 1.1 (reserved concurrency caps; throttle = 429),
    2.3 (throttle -> 500), 2.4 (SQS integration answers 200 once queued); issue 2 "Done when"."""
    sync = outcome(BURST, "sync")
    sync_counts = counts(sync)
    assert sync_counts["sent"] == 500
    assert sync_counts["rejected"] > 50
    assert sync.result is not None
    rejected = [r for r in sync.result.ledger.of(Responded) if r.status >= 300]
    assert {(r.status, r.stage) for r in rejected} == {(500, "lambda_throttle")}
    assert sync_counts["lost"] == 0 and sync_counts["completed"] == sync_counts["accepted"]

    eda = outcome(BURST, "eda")
    eda_counts = counts(eda)
    assert eda_counts["accepted"] == eda_counts["completed"] == 500
    assert eda_counts["rejected"] == eda_counts["lost"] == eda_counts["pending"] == 0
    assert eda.verdict.value == "survived"
    assert sync.verdict.value == "failed"


THROTTLING = """
    experiment: dynamodb-throttling
    duration: 5m
    workload: {steady: {rate: 5/s, for: 1m}}
    faults: [{dynamodb.throttle: {probability: 100%, at: 10s, for: 20s}}]
    assertions: [no_loss, eventual_completion: {within: 3m}]
"""


def test_a_throttling_window_fails_sync_after_sdk_retries_while_eda_retries_from_the_queue() -> (
    None
):
    """While DynamoDB throttles every write for 20 s, the sync handler's SDK (the Lambda
    runtime's default, legacy mode: 10 attempts, 50 ms x 2^n apart, 25.55 s of sleep) outlasts
    the window, so no write fails after its retries; but each handler holds its execution
    environment through the backoff, the 50 reserved environments run out and the client sees
    Lambda throttles (500) instead. The event-driven consumer's messages wait in the queue:
    everything completes, nothing is lost or dead-lettered. Source: aws-semantics.md 6.2
    (legacy DynamoDB policy), 12 MUST (sleeps count against the function), 2.3 (throttle ->
    500), 4.3 (retry from the queue); issue 2 "Done when"; issue 14 item 4 (the runtime's SDK
    pinned)."""
    attempts = installed_sdk_attempts(400, PTEE)
    assert attempts == 10
    sync = outcome(THROTTLING, "sync")
    assert sync.result is not None
    failed = [r for r in sync.result.ledger.of(Responded) if r.status != 201]
    assert failed and {(r.status, r.stage) for r in failed} == {(500, "lambda_throttle")}
    per_invocation: defaultdict[str, list[str]] = defaultdict(list)
    for call in sync.result.ledger.of(AwsCalled):
        per_invocation[call.invocation_id].append(call.outcome)
    assert not [c for c in per_invocation.values() if c[-1] == PTEE], "no write gave up"
    retried = [c for c in per_invocation.values() if c[0] == PTEE]
    assert retried and all(len(c) <= attempts and c[-1] == "ok" for c in retried)

    eda = outcome(THROTTLING, "eda")
    assert eda.result is not None
    eda_counts = counts(eda)
    assert eda_counts["accepted"] == eda_counts["completed"] == 300
    assert eda_counts["lost"] == eda_counts["dead_lettered"] == 0
    assert max(r.receive_count for r in eda.result.ledger.of(Received)) >= 2, (
        "completed through queue redelivery"
    )
    assert eda.verdict.value == "survived"


POISON = """
    experiment: poison
    duration: 8m
    workload: {steady: {rate: 2/s, for: 10s}, poison: 25%}
    assertions: [no_loss, {dlq: exact}]
"""


def test_poison_messages_reach_the_dlq_after_exactly_max_receive_count_receives() -> None:
    """Each poison message is received exactly maxReceiveCount (5) times, each receive one
    visibility timeout (60 s) or more after the previous, then moved to the DLQ on the next
    receive; nothing else is dead-lettered. Source: aws-semantics.md 3.4 "With maxReceiveCount
    = 5, the message is delivered 5 times and moves on the next receive", 4.3; issue 2 "Done
    when"."""
    eda = outcome(POISON, "eda")
    result = eda.result
    assert result is not None
    poison = {s.request_id for s in result.ledger.of(Sent) if s.poison}
    assert 0 < len(poison) < 20
    receives: defaultdict[str, list[Received]] = defaultdict(list)
    for record in result.ledger.of(Received):
        receives[record.request_id].append(record)
    moved = {d.request_id: d for d in result.ledger.of(DeadLettered)}
    assert set(moved) == poison
    assert set(result.final.dead_letter) == poison
    for request_id in poison:
        history = receives[request_id]
        assert [r.receive_count for r in history] == [1, 2, 3, 4, 5]
        times = [r.t for r in history] + [moved[request_id].t]
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert min(gaps) >= 60.0 - 1e-9, f"{request_id} came back before the timeout: {gaps}"
        assert moved[request_id].receive_count == 5
    healthy = {s.request_id for s in result.ledger.of(Sent)} - poison
    assert set(result.final.effects) == healthy
    assert {len(receives[r]) for r in healthy} == {1}
    assert eda.verdict.value == "survived"
    assert not [i for i in result.ledger.of(Invoked) if i.t > 7 * 60]
