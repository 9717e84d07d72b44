"""Composed systems: a handler's SQS sends reach the modelled queue, not moto, and a request
is followed through every stage (issue 16). Sources: ../shared/reference/aws-semantics.md
section 3 (SQS) and 4 (event source mapping); SendMessage, SendMessageBatch API reference,
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos._checks.causes import cause
from chaos._cli import main
from chaos._ledger import AwsCalled, Enqueued, Invoked, Responded
from chaos._result import RunResult
from chaos._systems import ResolvedSystem
from tests.support import custom_system, judged, reference, run_yaml

URL = "https://sqs.us-east-1.amazonaws.com/123456789012/followups-queue"


def composed(handler: str = "record_and_send") -> ResolvedSystem:
    return custom_system(f"""
        system: composed-probe
        architecture: hybrid
        api: {{function: api, latency: {{base: 0s, jitter: 0s}}}}
        queue: {{name: followups-queue, visibility_timeout: 60s}}
        consumer: {{function: consumer}}
        functions:
          api:
            handler: "tests.composed.handlers:{handler}"
            duration: {{base: 0s, jitter: 0s}}
            cold_start: {{base: 0s, jitter: 0s}}
            environment: {{ORDERS_TABLE: orders, QUEUE_URL: "{URL}"}}
          consumer:
            handler: "tests.composed.handlers:consume"
            timeout: 10s
            duration: {{base: 0s, jitter: 0s}}
            cold_start: {{base: 0s, jitter: 0s}}
            environment: {{FOLLOWUPS_TABLE: followups}}
        tables: {{orders: {{}}, followups: {{}}}}
        # One attempt per call: the hand-off's own semantics, not the SDK's retries, are
        # under test (with legacy mode's 5 attempts a failing send outlasts the function).
        sdk: {{max_attempts: 1}}
        effects:
          table: orders
          stages: {{followup: {{table: followups}}}}
    """)


def run(system: ResolvedSystem, faults: str = "[]", rate: str = "1/s") -> RunResult:
    return run_yaml(
        f"""
        experiment: probe
        duration: 2m
        workload: {{steady: {{rate: {rate}, for: 10s}}}}
        faults: {faults}
    """,
        system,
    )


def moto_queues() -> int:
    from moto.sqs.models import sqs_backends

    return sum(len(backend.queues) for region in sqs_backends.values() for backend in [region])


def test_a_handler_send_message_reaches_the_modelled_queue_and_its_consumer() -> None:
    """SendMessage: the message is the model's (an Enqueued record for the request, a
    MessageId in the answer), and the event source mapping delivers it to the consumer."""
    result = run(composed())
    enqueued = list(result.ledger.of(Enqueued))
    assert [e.queue for e in enqueued] == ["followups-queue"] * 10
    assert {e.request_id for e in enqueued} == set(result.final.effects)
    consumer_batches = [i for i in list(result.ledger.of(Invoked)) if i.function == "consumer"]
    assert sorted(r for i in consumer_batches for r in i.request_ids) == sorted(
        e.request_id for e in enqueued
    )
    assert set(result.final.stage_effects["followup"]) == set(result.final.effects)


def test_send_message_batch_enqueues_each_entry_and_answers_successful() -> None:
    """SendMessageBatch answers `Successful` per entry; each entry is a message."""
    result = run(composed("record_and_send_batch"))
    assert len(list(result.ledger.of(Enqueued))) == 10
    assert {r.status for r in list(result.ledger.of(Responded))} == {201}


def test_a_send_to_an_undeclared_queue_is_refused_and_recorded_never_sent_to_moto() -> None:
    """An unknown QueueUrl: SQS answers QueueDoesNotExist (SendMessage API, Errors). The
    run records the refused call and no queue is ever made in moto."""
    result = run(composed("send_to_an_undeclared_queue"))
    sends = [c for c in list(result.ledger.of(AwsCalled)) if c.service == "sqs"]
    assert sends and {(c.target, c.outcome) for c in sends} == {("elsewhere", "QueueDoesNotExist")}
    assert {r.status for r in list(result.ledger.of(Responded))} == {502}
    assert list(result.ledger.of(Enqueued)) == []
    assert moto_queues() == 0


def test_an_sqs_send_fault_meets_handler_sends_as_it_meets_the_api_integration() -> None:
    """The same `sqs.send_error` fault: a handler's send gets a 500 InternalError that the
    installed SDK retries, and the follow-up is never enqueued (a lost hand-off)."""
    result = run(composed(), "[{sqs.send_error: {probability: 100%}}]")
    failed = [c for c in list(result.ledger.of(AwsCalled)) if c.service == "sqs"]
    assert failed and all(c.outcome == "InternalError" and c.injected for c in failed)
    assert list(result.ledger.of(Enqueued)) == []


def test_a_request_is_complete_only_when_every_stage_holds_its_effect() -> None:
    """eventual_completion means every stage: orders recorded but follow-ups never queued
    are lost at the hand-off, not completed; the client's success rate stays 100%."""
    faults = "[{sqs.send_error: {probability: 100%}}]"
    evidence, _ = judged(run(composed("record_and_try_send"), faults))
    accounting = evidence.accounting
    counts = accounting.counts()
    assert counts["accepted"] == 10 and counts["completed"] == 0 and counts["lost"] == 10
    stages = accounting.stage_counts("orders", ["followup"])
    assert stages["orders"]["done"] == 10 and stages["orders"]["lost"] == 0
    assert stages["followup"] == {
        "entered": 10,
        "done": 0,
        "duplicated": 0,
        "pending": 0,
        "dead_lettered": 0,
        "lost": 10,
        "not_handed_off": 10,
    }
    facts = next(iter(accounting.requests.values()))
    assert cause(facts, evidence).phrase.startswith("SQS InternalError on the hand-off")


def test_completion_latency_runs_to_the_last_stage_and_two_stages_are_no_reexecution() -> None:
    evidence, verdict = judged(run(composed()))
    counts = evidence.accounting.counts()
    assert counts["completed"] == 10 and counts["reexecuted"] == 0
    for facts in evidence.accounting.requests.values():
        assert facts.first_effect_at is not None and facts.completion_latency is not None
        assert facts.completion_latency > facts.first_effect_at - facts.first_sent
    assert verdict is not None


def test_an_environment_naming_an_undeclared_queue_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Validation, where the name is written: the function's environment variable."""
    path = tmp_path / "system.yaml"
    path.write_text(
        "system: leaky\n"
        "architecture: sync\n"
        "api: {function: api}\n"
        "functions:\n"
        "  api:\n"
        "    handler: handler:handle\n"
        "    environment:\n"
        f"      QUEUE_URL: {URL}\n"
        "tables: {orders: {}}\n"
        "effects: {table: orders}\n",
        encoding="utf-8",
    )
    experiment = tmp_path / "probe.chaos.yaml"
    experiment.write_text(
        "experiment: probe\nduration: 1m\nworkload: {steady: {rate: 1/s, for: 1s}}\n"
        "systems: [system.yaml]\n",
        encoding="utf-8",
    )
    assert main(["validate", str(experiment)]) == 2
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "system.yaml:8:" in text
    assert "QUEUE_URL names SQS queue 'followups-queue'" in text


def test_the_hybrid_reference_system_hands_off_to_its_queue() -> None:
    """The hybrid: the client answered by the API function, fulfilment by the consumer."""
    result = run(reference("hybrid"), rate="5/s")
    assert {r.status for r in list(result.ledger.of(Responded))} == {201}
    assert len(result.final.stage_effects["fulfilment"]) == len(result.final.effects) == 50


def test_a_stage_naming_a_table_the_system_lacks_is_refused_at_that_key() -> None:
    with pytest.raises(ValueError) as raised:
        custom_system("""
            system: probe
            architecture: sync
            api: {function: api}
            functions: {api: {handler: "tests.composed.handlers:consume"}}
            tables: {orders: {}}
            effects: {table: orders, stages: {later: {table: missing}}}
        """)
    assert "stage 'later' names table 'missing', which is not in tables" in str(raised.value)


def test_a_hybrid_needs_both_its_api_function_and_its_queue() -> None:
    with pytest.raises(ValueError) as raised:
        custom_system("""
            system: probe
            architecture: hybrid
            api: {function: api}
            functions: {api: {handler: "tests.composed.handlers:consume"}}
            tables: {orders: {}}
            effects: {table: orders}
        """)
    assert "a hybrid system needs a queue" in str(raised.value)


def test_a_handler_hand_off_is_billed_as_sqs_requests_on_its_queue() -> None:
    """SQS bills each request (per 64 KB chunk): a handler's SendMessage is priced like API
    Gateway's, from the same ledger records; both stages' functions and tables are billed."""
    from chaos._cost import usage

    result = run(composed())
    used = {(u.meter, u.resource): u.quantity for u in usage(result)}
    sqs = [(meter, resource) for meter, resource in used if str(meter).startswith("sqs")]
    assert any(resource == "followups-queue" for _, resource in sqs)
    resources = {resource for _, resource in used}
    assert {"api", "consumer", "orders", "followups"} <= resources
