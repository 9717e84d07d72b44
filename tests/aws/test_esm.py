"""The SQS event source mapping: batches, batching window, scaling, retries, partial batch
responses. Each test names the AWS behaviour it pins; sources are in
../shared/reference/aws-semantics.md section 4 and the AWS pages cited there.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
import simpy

from chaos._aws.esm import INVALID_REPORT, EventSourceMapping
from chaos._aws.lambda_runtime import LambdaService
from chaos._aws.sqs import Queue
from chaos._faults.schedule import FaultSchedule
from chaos._ledger import (
    BatchFailed,
    DeadLettered,
    Deleted,
    InvocationEnded,
    Invoked,
    Ledger,
    Received,
    Throttled,
)
from chaos._sim import virtual_sleep
from chaos._spec.system import ConsumerDef
from tests.support import add, faults, lambda_service, no_faults

Handler = Callable[[Any, Any], Any]


class Consumer:
    """A queue drained by an ESM into one function; batches are recorded as bodies."""

    def __init__(
        self,
        handler: Handler,
        *,
        visibility: float = 30.0,
        timeout: float = 10.0,
        max_receive_count: int | None = None,
        reserved: int | None = None,
        concurrency: int = 1_000,
        schedule: FaultSchedule | None = None,
        **mapping: Any,
    ) -> None:
        self.env, self.ledger = simpy.Environment(), Ledger()
        self.batches: list[list[str]] = []
        self.dlq = Queue(
            self.env, self.ledger, "dlq", visibility_timeout=30.0, retention=1e9, horizon=1e9
        )
        self.queue = Queue(
            self.env,
            self.ledger,
            "q",
            visibility_timeout=visibility,
            retention=1e9,
            horizon=1e9,
            dead_letter=self.dlq if max_receive_count else None,
            max_receive_count=max_receive_count,
        )
        self.lambdas: LambdaService = lambda_service(
            self.env,
            self.ledger,
            concurrency=concurrency,
            unreserved_minimum=0,
            schedule=schedule,
        )

        def recording(event: Any, context: Any) -> Any:
            self.batches.append([r["body"] for r in event["Records"]])
            return handler(event, context)

        add(self.lambdas, "consumer", recording, timeout=timeout, reserved_concurrency=reserved)
        definition = ConsumerDef.model_validate({"function": "consumer", **mapping})
        self.mapping = EventSourceMapping(
            self.env,
            self.queue,
            self.lambdas,
            definition,
            schedule or no_faults(),
            "arn:aws:sqs:us-east-1:123456789012:q",
            draw=random.Random(1),
            ledger=self.ledger,
        )
        self.mapping.start()

    def send(self, *bodies: str) -> None:
        for body in bodies:
            self.queue.send(body, body)

    def send_steadily(self, per_second: int, seconds: int) -> None:
        """`per_second` messages at the start of each second, for `seconds`."""

        def sender() -> Any:
            for second in range(seconds):
                self.send(*(f"s{second}-{i}" for i in range(per_second)))
                yield self.env.timeout(1.0)

        self.env.process(sender())

    def run(self, until: float) -> None:
        self.env.run(until=until)

    def receive_counts(self, body: str) -> list[tuple[float, int]]:
        return [(r.t, r.receive_count) for r in self.ledger.of(Received) if r.request_id == body]

    def max_concurrency(self) -> int:
        """Most invocations running at once, from the ledger."""
        started = {i.invocation_id: i.t for i in self.ledger.of(Invoked)}
        events = sorted(
            [(t, 1) for t in started.values()]
            + [(e.t, -1) for e in self.ledger.of(InvocationEnded)]
        )
        running = peak = 0
        for _, change in events:
            running += change
            peak = max(peak, running)
        return peak


def succeed(event: Any, context: Any) -> None:
    return None


def sleep_then_succeed(seconds: float) -> Handler:
    def handler(event: Any, context: Any) -> None:
        virtual_sleep(seconds)

    return handler


def fail_on_bad(event: Any, context: Any) -> None:
    if any(r["body"].startswith("bad") for r in event["Records"]):
        raise ValueError("bad record")


def report_bad(event: Any, context: Any) -> dict[str, Any]:
    return {
        "batchItemFailures": [
            {"itemIdentifier": r["messageId"]}
            for r in event["Records"]
            if r["body"].startswith("bad")
        ]
    }


# -- batches (aws-semantics.md 4.2) -----------------------------------------------------------


def test_batches_hold_at_most_batch_size_records() -> None:
    """Lambda invokes with batches of up to BatchSize records (default 10).
    Source: aws-semantics.md 4.2 "BatchSize", [DOC] services-sqs-parameters."""
    consumer = Consumer(succeed, batch_size=10, scaling={"initial": 1})
    consumer.send(*(f"m{i}" for i in range(25)))
    consumer.run(until=5)
    assert [len(b) for b in consumer.batches] == [10, 10, 5]


def test_the_batching_window_gathers_records_before_invoking() -> None:
    """With MaximumBatchingWindowInSeconds the poller waits up to the window to fill a batch,
    then invokes with what it has. Source: aws-semantics.md 4.2
    "MaximumBatchingWindowInSeconds", [DOC] services-sqs-parameters."""
    consumer = Consumer(succeed, batch_size=10, batching_window=5.0, scaling={"initial": 1})
    consumer.env.process(_send_at(consumer, [(0.0, "a"), (1.0, "b"), (2.0, "c")]))
    consumer.run(until=20)
    assert consumer.batches == [["a", "b", "c"]]
    (invoked,) = consumer.ledger.of(Invoked)
    assert invoked.t == pytest.approx(5.0)


def _send_at(consumer: Consumer, plan: list[tuple[float, str]]) -> Any:
    for at, body in plan:
        yield consumer.env.timeout(at - consumer.env.now)
        consumer.send(body)


def test_success_deletes_the_whole_batch() -> None:
    """A successful invocation deletes every message of its batch.
    Source: aws-semantics.md 4.3 "Success", [DOC] with-sqs."""
    consumer = Consumer(succeed)
    consumer.send("a", "b", "c")
    consumer.run(until=100)
    assert sorted(d.request_id for d in consumer.ledger.of(Deleted)) == ["a", "b", "c"]
    assert consumer.queue.live == {}


# -- scaling (aws-semantics.md 4.1, 4.2) -------------------------------------------------------


def test_pollers_start_at_5_and_add_up_to_300_per_minute() -> None:
    """With a backlog, the ESM starts with 5 concurrent invokes and adds up to 300 a minute.
    Source: aws-semantics.md 4.1 "Current behaviour", [DOC] services-sqs-scaling,
    [BLOG] "Introducing faster polling scale-up"."""
    consumer = Consumer(sleep_then_succeed(500.0), visibility=900.0, timeout=900.0, batch_size=1)
    consumer.send(*(f"m{i}" for i in range(1_000)))
    consumer.run(until=0.5)
    assert consumer.max_concurrency() == 5
    consumer.run(until=30.5)
    at_half_minute = consumer.max_concurrency()
    consumer.run(until=60.5)
    at_one_minute = consumer.max_concurrency()
    assert 5 + 150 - 10 <= at_half_minute <= 5 + 150
    assert 5 + 300 - 10 <= at_one_minute <= 5 + 300


def test_maximum_concurrency_caps_concurrent_invokes_without_throttles() -> None:
    """MaximumConcurrency caps the invocations the ESM runs at once; once reached it stops
    reading, so nothing is throttled and receive counts do not grow. Source: aws-semantics.md
    4.2 "ScalingConfig.MaximumConcurrency", 4.3 "MaximumConcurrency fixes this"."""
    consumer = Consumer(
        sleep_then_succeed(5.0), visibility=60.0, reserved=2, batch_size=1, maximum_concurrency=2
    )
    consumer.send(*(f"m{i}" for i in range(20)))
    consumer.run(until=200)
    assert consumer.max_concurrency() == 2
    assert list(consumer.ledger.of(Throttled)) == []
    assert {r.receive_count for r in consumer.ledger.of(Received)} == {1}
    assert consumer.queue.live == {}


# -- throttles (aws-semantics.md 4.3 "Throttled invocations", "Overpull") ----------------------


def test_a_throttled_batch_reappears_after_the_visibility_timeout_with_a_raised_count() -> None:
    """The ESM retries a throttled invoke with backoff until the visibility timeout, then
    drops the batch: it becomes visible again with its receive count already raised.
    Source: aws-semantics.md 4.3 "Throttled invocations (429)", [DOC] services-sqs-errorhandling."""
    consumer = Consumer(
        sleep_then_succeed(25.0),
        visibility=30.0,
        timeout=30.0,
        reserved=1,
        batch_size=1,
        scaling={"initial": 2},
    )
    consumer.send("first", "second")
    consumer.run(until=200)
    throttled = [t for t in consumer.ledger.of(Throttled) if t.request_ids == ("second",)]
    assert throttled and all(t.t < 30.0 for t in throttled)
    (first_receive, second_receive), *_ = [consumer.receive_counts("second")]
    assert first_receive == (0.0, 1)
    assert second_receive[0] >= 30.0 and second_receive[1] == 2
    assert consumer.queue.live == {}, "processed once the function is free"


def test_overpull_dead_letters_healthy_messages() -> None:
    """Without MaximumConcurrency the ESM ignores reserved concurrency; surplus invokes are
    throttled and with a small maxReceiveCount healthy messages reach the DLQ. Source:
    aws-semantics.md 4.3 "Overpull", [KC] lambda-sqs-scaling, [DOC] with-sqs (maxReceiveCount
    at least 5)."""
    consumer = Consumer(
        sleep_then_succeed(9.0), visibility=10.0, reserved=1, batch_size=1, max_receive_count=1
    )
    consumer.send(*(f"m{i}" for i in range(10)))
    consumer.run(until=300)
    assert list(consumer.ledger.of(DeadLettered)), "healthy messages were dead-lettered"


# -- errors and partial batch responses (aws-semantics.md 4.3) ---------------------------------


def test_a_function_error_retries_the_whole_batch_after_the_visibility_timeout() -> None:
    """Without partial batch responses an error makes every message of the batch visible again
    after the visibility timeout, including the ones already processed. Source:
    aws-semantics.md 4.3 "Function error or timeout, without partial batch responses"."""
    consumer = Consumer(fail_on_bad, visibility=30.0, scaling={"initial": 1})
    consumer.send("good", "bad")
    consumer.run(until=45)
    assert consumer.batches == [["good", "bad"], ["good", "bad"]]
    assert [c for _, c in consumer.receive_counts("good")] == [1, 2]
    assert consumer.receive_counts("good")[1][0] == pytest.approx(30.0)


def test_a_timeout_retries_the_whole_batch() -> None:
    """A timeout counts as a failure of the whole batch. Source: aws-semantics.md 4.3."""
    consumer = Consumer(
        sleep_then_succeed(100.0), visibility=30.0, timeout=5.0, scaling={"initial": 1}
    )
    consumer.send("a", "b")
    consumer.run(until=36)
    assert [e.outcome for e in consumer.ledger.of(InvocationEnded)] == ["timeout", "timeout"]
    assert list(consumer.ledger.of(Deleted)) == []


def test_report_batch_item_failures_retries_only_the_reported_items() -> None:
    """With ReportBatchItemFailures only the listed messages return to the queue; the rest are
    deleted. Source: aws-semantics.md 4.3 "Partial batch responses", [DOC]
    services-sqs-errorhandling."""
    consumer = Consumer(
        report_bad, visibility=30.0, report_batch_item_failures=True, scaling={"initial": 1}
    )
    consumer.send("good", "bad")
    consumer.run(until=45)
    assert consumer.batches == [["good", "bad"], ["bad"]]
    assert [d.request_id for d in consumer.ledger.of(Deleted)] == ["good"]


def test_a_thrown_error_fails_the_whole_batch_even_with_partial_responses() -> None:
    """ "If the function throws, the whole batch counts as failed."
    Source: aws-semantics.md 4.3 "Partial batch responses"."""
    consumer = Consumer(
        fail_on_bad, visibility=30.0, report_batch_item_failures=True, scaling={"initial": 1}
    )
    consumer.send("good", "bad")
    consumer.run(until=45)
    assert consumer.batches == [["good", "bad"], ["good", "bad"]]


@pytest.mark.parametrize(
    "failures",
    [
        [{"itemIdentifier": "not-in-this-batch"}],
        [{"itemIdentifier": ""}],
        [{"itemIdentifier": None}],
        [{"messageId": "q-0000001"}],
        "q-0000001",
    ],
    ids=["unknown-id", "empty-id", "null-id", "wrong-key", "not-a-list"],
)
def test_a_malformed_partial_response_fails_the_whole_batch(failures: Any) -> None:
    """An invalid report (an empty, null or unknown itemIdentifier, a wrong key name) makes the
    whole batch fail. Source: aws-semantics.md 4.3 "Full failure: invalid JSON, an empty or null
    itemIdentifier, a wrong key name, or a message ID not in the batch"."""
    consumer = Consumer(
        lambda event, context: {"batchItemFailures": failures},
        visibility=30.0,
        report_batch_item_failures=True,
        scaling={"initial": 1},
    )
    consumer.send("a", "b")
    consumer.run(until=45)
    assert list(consumer.ledger.of(Deleted)) == []
    assert consumer.batches == [["a", "b"], ["a", "b"]]
    failed = list(consumer.ledger.of(BatchFailed))  # so findings can say why it came back
    assert [(f.request_ids, f.reason) for f in failed] == [(("a", "b"), INVALID_REPORT)] * 2


@pytest.mark.parametrize(
    "response",
    [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}],
    ids=["null-response", "empty-response", "empty-list", "null-list"],
)
def test_an_empty_partial_response_is_full_success(response: Any) -> None:
    """Full success: an empty or null response, or an empty or null batchItemFailures.
    Source: aws-semantics.md 4.3 "Full success"."""
    consumer = Consumer(lambda event, context: response, report_batch_item_failures=True)
    consumer.send("a", "b")
    consumer.run(until=45)
    assert sorted(d.request_id for d in consumer.ledger.of(Deleted)) == ["a", "b"]


def test_function_errors_back_off_concurrency_unless_reporting_item_failures() -> None:
    """On function errors Lambda gradually reduces the ESM's concurrency; with
    ReportBatchItemFailures it does not scale down. Source: aws-semantics.md 4.3 "Backoff on
    function errors", "Lambda does not scale down polling when invocations fail"."""
    failing = Consumer(fail_on_bad, batch_size=1, scaling={"initial": 1})
    failing.mapping.target = 5
    failing.send(*(f"bad{i}" for i in range(5)))
    failing.run(until=1)
    reporting = Consumer(
        report_bad, report_batch_item_failures=True, batch_size=1, scaling={"initial": 1}
    )
    reporting.mapping.target = 5
    reporting.send(*(f"bad{i}" for i in range(5)))
    reporting.run(until=1)
    assert failing.mapping.target == 1
    assert reporting.mapping.target == 5


def test_throttles_back_the_mapping_off_and_it_grows_back_at_the_scale_up_rate() -> None:
    """A throttled mapping backs off whatever its response type: "If the invocation fails due
    to throttling, Lambda gradually backs off retries by reducing the amount of concurrency
    allocated to your Amazon SQS event source mapping" (the no-scale-down rule of partial batch
    responses concerns function errors). So throttled attempts a minute fall over a long
    outage, and after it the concurrency grows back at 300 a minute. Source: aws-semantics.md
    4.3 "Throttled invocations", [DOC] services-sqs-errorhandling; 4.1 for the scale-up rate."""
    consumer = Consumer(
        sleep_then_succeed(2.0),
        visibility=60.0,
        batch_size=1,
        report_batch_item_failures=True,
        schedule=faults("[lambda.throttle: {concurrency: 0, at: 1m, for: 4m}]"),
    )
    consumer.send_steadily(per_second=50, seconds=600)
    consumer.run(until=60)
    scaled_out = consumer.mapping.target
    consumer.run(until=300)
    per_minute = [0, 0, 0, 0]
    for throttle in consumer.ledger.of(Throttled):
        per_minute[int(throttle.t // 60) - 1] += 1
    assert scaled_out > 90
    assert per_minute[0] > 5 * per_minute[3], per_minute
    assert per_minute == sorted(per_minute, reverse=True), per_minute
    assert consumer.mapping.target == 5  # the default floor
    consumer.run(until=300 + 31)  # a batch waits at most 30 s to retry: all retried by now
    grown_from = consumer.mapping.target
    consumer.run(until=300 + 31 + 30)
    assert 150 - 10 <= consumer.mapping.target - grown_from <= 150  # 300 a minute


def test_the_throttle_backoff_rate_and_floor_are_parameters() -> None:
    """AWS publishes no backoff rate or floor; both are parameters (defaults 10% a second and
    5, the concurrency the mapping scales back to at low traffic, aws-semantics.md 4.1). Half
    a second's throttles with a 50% backoff take 64 to 32; the floor holds."""
    consumer = Consumer(
        sleep_then_succeed(1.0),
        visibility=60.0,
        batch_size=1,
        reserved=0,
        scaling={"throttle_backoff": "50%", "throttle_floor": 8},
    )
    consumer.mapping.target = 64
    consumer.send(*(f"m{i}" for i in range(10)))
    consumer.run(until=1.5)
    assert consumer.mapping.target == 32
    consumer.run(until=30)
    assert consumer.mapping.target == 8


def test_a_poller_leaving_after_a_scale_down_passes_its_wake_up_on() -> None:
    """No lost wake-up: a message that becomes visible while the mapping is above its target
    wakes one waiting poller; if that poller leaves (the mapping scaled down while it
    waited), another waiting poller must take the message, not wait forever beside it.
    AWS keeps polling while a mapping has pollers ("Lambda polls the queue", services-sqs-
    scaling); a visible message is never left unread while one is idle."""
    consumer = Consumer(succeed, batch_size=1, scaling={"initial": 2})
    consumer.run(until=1)  # both pollers wait on the empty queue
    consumer.mapping.target = 1  # scaled down meanwhile, as the scaler does when idle
    consumer.send("a")
    consumer.run(until=100)
    assert consumer.batches == [["a"]]
    assert consumer.queue.live == {}
