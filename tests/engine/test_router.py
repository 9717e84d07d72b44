"""Handler AWS calls below botocore: faults and capacity throttles arrive as real error
responses that the installed SDK parses and retries itself, in virtual time; WebSocket posts
meet the connection's state. End-to-end through `chaos._engine.world.run` with small handlers
(tests/engine/handlers.py). Sources: ../shared/reference/aws-semantics.md sections 5, 6, 7;
DESIGN.md "Faults below the SDK".
"""

from __future__ import annotations

import itertools

import pytest

from chaos._ledger import AwsCalled, InvocationEnded, Notified, Responded
from chaos._result import RunResult
from chaos._spec.system import LAMBDA_RUNTIME_RETRY_MODE
from chaos._systems import ResolvedSystem
from tests.support import custom_system, installed_sdk_attempts, reference, run_yaml

PTEE = "ProvisionedThroughputExceededException"


def sync_system(
    handler: str,
    *,
    timeout: str = "30s",
    table: str = "",
    sdk: str = "{}",
    function_sdk: str = "{}",
) -> ResolvedSystem:
    return custom_system(f"""
        system: probe
        architecture: sync
        api: {{function: f, latency: {{base: 0s, jitter: 0s}}}}
        functions:
          f:
            handler: "tests.engine.handlers:{handler}"
            timeout: {timeout}
            duration: {{base: 0s, jitter: 0s}}
            cold_start: {{base: 0s, jitter: 0s}}
            sdk: {function_sdk}
        tables:
          orders: {{partition_key: order_id, {table}}}
        effects: {{table: orders}}
        sdk: {sdk}
    """)


def one_request(system: ResolvedSystem, faults: str = "[]", duration: str = "2m") -> RunResult:
    return run_yaml(
        f"""
        experiment: probe
        duration: {duration}
        workload: {{steady: {{rate: 1/s, for: 1s}}}}
        faults: {faults}
    """,
        system,
    )


def puts(result: RunResult) -> list[AwsCalled]:
    return [c for c in result.ledger.of(AwsCalled) if c.operation == "PutItem"]


def statuses(result: RunResult) -> list[int]:
    return [r.status for r in result.ledger.of(Responded)]


INSTANT_DB = "latency: {base: 0s, jitter: 0s}"


def test_a_throttle_is_retried_by_the_installed_sdk_then_fails_the_request() -> None:
    """DynamoDB throttling arrives as a real 400 ProvisionedThroughputExceededException below
    botocore: the installed SDK retries it with its own policy, in the mode the Lambda Python
    runtime's bundled SDK uses unless the system says otherwise (legacy: 10 attempts for
    DynamoDB), then the error reaches the handler, and the sync client sees 502. Source:
    aws-semantics.md 5.4, 6.1, 6.2; chaos._spec.system.LAMBDA_RUNTIME_RETRY_MODE (Lambda
    Developer Guide, Runtime-included SDK versions); DESIGN.md "Faults below the SDK"."""
    result = one_request(
        sync_system("put_order", table=INSTANT_DB), "[{dynamodb.throttle: {probability: 100%}}]"
    )
    expected = installed_sdk_attempts(400, PTEE, mode=LAMBDA_RUNTIME_RETRY_MODE)
    assert expected == 10
    assert [c.outcome for c in puts(result)] == [PTEE] * expected
    assert all(c.injected for c in puts(result))
    assert statuses(result) == [502]
    assert result.final.effects == {}, "a throttled write is not applied"


@pytest.mark.parametrize("code", ["ThrottlingException", "RequestLimitExceeded"])
def test_an_on_demand_throttle_code_is_retried_like_the_provisioned_one(code: str) -> None:
    """On-demand throttles may come as ThrottlingException or RequestLimitExceeded (HTTP 400,
    retryable): `code` picks it, and the installed SDK retries it as it does PTEE. Source:
    aws-semantics.md 5.4 "Model PTEE for provisioned and hot-partition throttles, and make the
    code a parameter for on-demand"."""
    result = one_request(
        sync_system("put_order", table=INSTANT_DB, sdk="{retry_mode: standard}"),
        f"[{{dynamodb.throttle: {{probability: 100%, code: {code}}}}}]",
    )
    attempts = installed_sdk_attempts(400, code, mode="standard")
    assert attempts == installed_sdk_attempts(400, PTEE, mode="standard") > 1
    assert [c.outcome for c in puts(result)] == [code] * attempts
    assert statuses(result) == [502]


def test_legacy_mode_does_not_retry_request_limit_exceeded() -> None:
    """botocore's legacy policy retries ProvisionedThroughputExceededException and
    ThrottlingException but not RequestLimitExceeded: under the Lambda runtime's default mode
    an on-demand account-limit throttle reaches the handler at once. Source: aws-semantics.md
    6.2 "DynamoDB RequestLimitExceeded is NOT retried in legacy mode" (botocore
    data/_retry.json)."""
    result = one_request(
        sync_system("put_order", table=INSTANT_DB),
        "[{dynamodb.throttle: {probability: 100%, code: RequestLimitExceeded}}]",
    )
    assert installed_sdk_attempts(400, "RequestLimitExceeded", mode="legacy") == 1
    assert [c.outcome for c in puts(result)] == ["RequestLimitExceeded"]


def test_max_attempts_is_set_per_function_over_the_system() -> None:
    """`sdk: {max_attempts: N}` caps total attempts (AWS_MAX_ATTEMPTS counts the first
    attempt: AWS SDKs and Tools Reference Guide, "Retry behavior", max_attempts); a
    function's own `sdk:` overrides the system's, in that function's execution environments
    only. Source: aws-semantics.md 6.1 "Two meanings of max_attempts"."""
    system_wide = one_request(
        sync_system("put_order", table=INSTANT_DB, sdk="{retry_mode: standard, max_attempts: 2}"),
        "[{dynamodb.throttle: {probability: 100%}}]",
    )
    assert len(puts(system_wide)) == 2
    overridden = one_request(
        sync_system(
            "put_order",
            table=INSTANT_DB,
            sdk="{retry_mode: standard, max_attempts: 2}",
            function_sdk="{max_attempts: 6}",
        ),
        "[{dynamodb.throttle: {probability: 100%}}]",
    )
    assert len(puts(overridden)) == 6


def test_legacy_mode_backoff_sleeps_in_virtual_time() -> None:
    """In legacy mode botocore makes 10 DynamoDB attempts, sleeping 50 ms x 2^n between them
    (25.55 s in all); those sleeps pass in virtual time and count against the Lambda timeout.
    Source: aws-semantics.md 6.2 "Checked numerically", 12 MUST "This sleep time counts against
    the Lambda timeout"."""
    result = one_request(
        sync_system("put_order", table=INSTANT_DB, sdk="{retry_mode: legacy}"),
        "[{dynamodb.throttle: {probability: 100%}}]",
    )
    calls = puts(result)
    assert len(calls) == installed_sdk_attempts(400, PTEE, mode="legacy") == 10
    gaps = [b.t - a.t for a, b in itertools.pairwise(calls)]
    assert gaps == pytest.approx([0.05 * 2**n for n in range(9)])
    (ended,) = result.ledger.of(InvocationEnded)
    assert ended.t - calls[0].t == pytest.approx(25.55)
    assert ended.detail == PTEE


def test_a_legacy_backoff_longer_than_the_timeout_is_cut_by_the_timeout() -> None:
    """The SDK's sleeps count against the function timeout: with 10 s, legacy mode reaches
    only the attempts that fit, then the invocation times out. Source: aws-semantics.md 6.2,
    12 MUST."""
    result = one_request(
        sync_system("put_order", timeout="10s", table=INSTANT_DB, sdk="{retry_mode: legacy}"),
        "[{dynamodb.throttle: {probability: 100%}}]",
    )
    # Attempts at 0, .05, .15, .35, .75, 1.55, 3.15, 6.35; the next would be at 12.75 s.
    assert len(puts(result)) == 8
    assert [e.outcome for e in result.ledger.of(InvocationEnded)] == ["timeout"]


def test_a_server_error_is_retried_by_the_sdk() -> None:
    """`dynamodb.error` answers 500 InternalServerError, which the SDK retries as a transient
    error. Source: aws-semantics.md 5.4 "InternalServerError (500) and 503: retryable", 6.3."""
    result = one_request(
        sync_system("put_order", table=INSTANT_DB), "[{dynamodb.error: {probability: 100%}}]"
    )
    expected = installed_sdk_attempts(500, "InternalServerError", mode=LAMBDA_RUNTIME_RETRY_MODE)
    assert [c.outcome for c in puts(result)] == ["InternalServerError"] * expected


def test_a_failed_conditional_write_still_consumes_capacity() -> None:
    """A conditional write whose condition fails is not retried, and still consumes write
    capacity: on a 1-WCU table with no burst credit the write right after it is throttled.
    Source: aws-semantics.md 5.1 "Failed conditional writes still consume capacity", 5.5,
    [DOC] WorkingWithItems (ConditionalWrites.ReturnConsumedCapacity)."""
    table = "billing: provisioned, write_capacity: 1, burst_seconds: 0s, " + INSTANT_DB
    result = one_request(sync_system("conditional_twice", table=table))
    outcomes = [c.outcome for c in puts(result)]
    assert outcomes[:3] == ["ok", "ConditionalCheckFailedException", PTEE]
    assert puts(result)[2].injected and puts(result)[2].t == puts(result)[1].t
    assert outcomes[-1] == "ok", "the SDK's retries outwait the refill"


def test_reads_consume_read_capacity_and_are_throttled_above_it() -> None:
    """Reads consume read capacity: a strongly consistent read of up to 4 KB costs 1 RCU,
    and a provisioned table answers ProvisionedThroughputExceededException once its read
    capacity is spent; the SDK retries until the refill. Source: DynamoDB Developer Guide,
    "Read/write capacity mode" (provisioned mode: "one strongly consistent read per second
    ... for an item up to 4 KB") and "Throttling" (reads above provisioned RCU are throttled);
    aws-semantics.md 5.1."""
    table = "billing: provisioned, read_capacity: 1, burst_seconds: 0s, " + INSTANT_DB
    result = one_request(sync_system("read_twice", table=table))
    gets = [c for c in result.ledger.of(AwsCalled) if c.operation == "GetItem"]
    outcomes = [c.outcome for c in gets]
    assert outcomes[:2] == ["ok", PTEE] and gets[1].injected
    assert outcomes[-1] == "ok", "the SDK's retries outwait the refill"
    assert statuses(result) == [200]


def test_the_capacity_model_throttles_a_burst_by_itself() -> None:
    """With provisioned capacity and no fault, a burst above capacity plus burst credit is
    throttled by DynamoDB itself. Source: aws-semantics.md 5.2, DESIGN.md "Capacity, not only
    coin flips"."""
    table = "billing: provisioned, write_capacity: 1, burst_seconds: 0s, " + INSTANT_DB
    result = run_yaml(
        """
        experiment: burst
        duration: 1m
        workload: {steady: {rate: 20/s, for: 1s}}
    """,
        sync_system("put_order", table=table),
    )
    assert any(c.outcome == PTEE for c in puts(result))
    assert not any(c.injected is False and c.outcome == PTEE for c in puts(result))


@pytest.mark.parametrize(
    "table, code",
    [
        ("billing: on_demand, on_demand_write_limit: 1/s", PTEE),
        (
            "billing: on_demand, on_demand_write_limit: 1/s, "
            "on_demand_throttle_code: ThrottlingException",
            "ThrottlingException",
        ),
        (
            "billing: provisioned, write_capacity: 1, burst_seconds: 0s, "
            "on_demand_throttle_code: ThrottlingException",
            PTEE,
        ),
    ],
)
def test_an_on_demand_table_over_its_limit_answers_its_throttle_code(table: str, code: str) -> None:
    """Above its limit an on-demand table throttles with the code the system names
    (ProvisionedThroughputExceededException by default); a provisioned table always answers
    PTEE. Source: aws-semantics.md 5.4 "Model PTEE for provisioned and hot-partition
    throttles, and make the code a parameter for on-demand"."""
    result = run_yaml(
        """
        experiment: burst
        duration: 1m
        workload: {steady: {rate: 20/s, for: 1s}}
    """,
        sync_system("put_order", table=f"{table}, {INSTANT_DB}"),
    )
    throttles = {c.outcome for c in puts(result) if c.outcome != "ok"}
    assert throttles == {code}


def test_a_write_before_the_timeout_persists() -> None:
    """A handler that writes and then runs past its timeout: the client sees 502, and the
    write is in the table. Source: aws-semantics.md 1.5 "Side effects completed before the
    timeout persist", 2.3 (function timeout under 29 s -> 502)."""
    result = one_request(sync_system("write_then_hang", timeout="3s", table=INSTANT_DB))
    assert statuses(result) == [502]
    assert [e.outcome for e in result.ledger.of(InvocationEnded)] == ["timeout"]
    assert list(result.final.effects.values()) == [1]


def test_post_to_a_connection_idle_for_10_minutes_is_410_gone() -> None:
    """A notification posted after the user's WebSocket connection has been idle for 10
    minutes fails with 410 GoneException, which the SDK does not retry; the reference consumer
    swallows it and the order still completes. Source: aws-semantics.md 7 (GoneException,
    idle timeout 10 min), 6.4 "PostToConnection 410 GoneException: not retried"."""
    delayed = run_yaml(
        """
        experiment: late
        duration: 15m
        workload: {steady: {rate: 1/s, for: 1s}}
        faults: [{sqs.delay: {delay: 11m}}]
    """,
        reference("eda"),
    )
    posts = [c for c in delayed.ledger.of(AwsCalled) if c.operation == "PostToConnection"]
    assert [(c.outcome, c.injected) for c in posts] == [("GoneException", True)]
    assert [n.outcome for n in delayed.ledger.of(Notified)] == ["gone"]
    assert list(delayed.final.effects.values()) == [1]

    prompt = run_yaml(
        """
        experiment: prompt
        duration: 1m
        workload: {steady: {rate: 1/s, for: 1s}}
    """,
        reference("eda"),
    )
    assert [n.outcome for n in prompt.ledger.of(Notified)] == ["delivered"]


def test_handlers_see_the_request_through_real_boto3_and_moto() -> None:
    """The handler's boto3 call really reached moto: the item is there with its request id.
    Source: DESIGN.md "Managed services are modelled natively; moto backs the APIs that
    handlers call"."""
    result = one_request(sync_system("put_order", table=INSTANT_DB))
    assert statuses(result) == [201]
    assert result.final.effects == {"r000001": 1}
    (call,) = puts(result)
    assert (call.target, call.request_id, call.outcome, call.injected) == (
        "orders",
        "r000001",
        "ok",
        False,
    )
