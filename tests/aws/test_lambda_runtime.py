"""The Lambda runtime model: concurrency, throttles, timeouts, execution environments.

Each test names the AWS behaviour it pins; sources are in ../shared/reference/aws-semantics.md
(section numbers below) and the AWS pages cited there.
"""

from __future__ import annotations

from typing import Any

import pytest
import simpy

from chaos._aws.lambda_runtime import (
    THROTTLED_ACCOUNT,
    THROTTLED_RESERVED,
    THROTTLED_SCALING,
    LambdaService,
)
from chaos._ledger import InvocationEnded, Invoked, Ledger, Throttled
from chaos._sim import VirtualClock, virtual_sleep
from chaos._systems import HandlerModule
from tests.support import add, custom_system, faults, invoke, lambda_service


def sleeper(seconds: float, calls: list[float] | None = None) -> Any:
    def handler(event: Any, context: Any) -> dict[str, Any]:
        if calls is not None:
            calls.append(seconds)
        virtual_sleep(seconds)
        return {"statusCode": 200}

    return handler


def start_many(
    env: simpy.Environment, service: LambdaService, name: str, count: int
) -> list[simpy.Process]:
    return [invoke(env, service, name, request_id=f"{name}{i}") for i in range(count)]


def outcomes(processes: list[simpy.Process]) -> list[str]:
    return [p.value.outcome for p in processes]


# -- concurrency (aws-semantics.md 1.1, 1.5; PutFunctionConcurrency API) ---------------------


def test_reserved_concurrency_caps_the_function() -> None:
    """A reservation caps the function: the 5th concurrent invocation of a function reserved
    at 4 is throttled with Reason ReservedFunctionConcurrentInvocationLimitExceeded.
    Source: aws-semantics.md 1.1, [DOC] API_PutFunctionConcurrency, API_Invoke."""
    env, ledger = simpy.Environment(), Ledger()
    service = lambda_service(env, ledger, concurrency=100)
    add(service, "f", sleeper(2.0), reserved_concurrency=4)
    processes = start_many(env, service, "f", 5)
    env.run()
    assert sorted(outcomes(processes)) == ["ok"] * 4 + ["throttled"]
    throttled = [p.value for p in processes if p.value.outcome == "throttled"]
    assert throttled[0].throttle_reason == THROTTLED_RESERVED


def test_reserved_concurrency_is_guaranteed_against_unreserved_functions() -> None:
    """A reservation guarantees that many environments: unreserved functions share only the
    account concurrency minus all reservations, and cannot starve the reserved one.
    Source: aws-semantics.md 1.1 "Reserved concurrency ... guarantees", 1.5 admission rule."""
    env, ledger = simpy.Environment(), Ledger()
    service = lambda_service(env, ledger, concurrency=10)
    add(service, "reserved", sleeper(2.0), reserved_concurrency=4)
    add(service, "greedy", sleeper(2.0))
    greedy = start_many(env, service, "greedy", 8)
    reserved = start_many(env, service, "reserved", 4)
    env.run()
    assert outcomes(greedy).count("ok") == 6
    assert {p.value.throttle_reason for p in greedy if not p.value.ok} == {THROTTLED_ACCOUNT}
    assert outcomes(reserved) == ["ok"] * 4


def test_account_concurrency_is_shared_by_unreserved_functions() -> None:
    """Account concurrency (default 1,000 per Region) is one pool for every function without
    a reservation; over it the Reason is ConcurrentInvocationLimitExceeded.
    Source: aws-semantics.md 1.1 (Lambda quotas; TooManyRequestsException Reason values)."""
    env, ledger = simpy.Environment(), Ledger()
    service = lambda_service(env, ledger, concurrency=6)
    add(service, "a", sleeper(2.0))
    add(service, "b", sleeper(2.0))
    a = start_many(env, service, "a", 4)
    b = start_many(env, service, "b", 3)
    env.run()
    assert outcomes(a) == ["ok"] * 4
    assert outcomes(b) == ["ok", "ok", "throttled"]
    assert b[2].value.throttle_reason == THROTTLED_ACCOUNT


def test_concurrency_frees_up_when_an_invocation_ends() -> None:
    """Concurrency counts running invocations only (an environment handles one request at a
    time). Source: aws-semantics.md 1.1 "Concurrency formula"."""
    env, ledger = simpy.Environment(), Ledger()
    service = lambda_service(env, ledger, concurrency=100)
    add(service, "f", sleeper(1.0), reserved_concurrency=1)
    first = invoke(env, service, "f", request_id="a")
    env.run(until=0.5)
    during = invoke(env, service, "f", request_id="b")
    env.run(until=1.5)
    after = invoke(env, service, "f", request_id="c")
    env.run()
    assert [first.value.outcome, during.value.outcome, after.value.outcome] == [
        "ok",
        "throttled",
        "ok",
    ]


def test_a_throttled_invocation_never_runs_the_function() -> None:
    """A 429 TooManyRequestsException means the function never ran: no side effect, no
    Invoked record, a Throttled record with the request. Source: aws-semantics.md 1.1
    "A throttled request never ran", 12 MUST "The function never runs, so no side effects"."""
    env, ledger = simpy.Environment(), Ledger()
    calls: list[float] = []
    service = lambda_service(env, ledger, concurrency=100)
    add(service, "f", sleeper(0.0, calls), reserved_concurrency=0)
    process = invoke(env, service, "f", request_id="r7")
    env.run()
    assert process.value.outcome == "throttled"
    assert calls == []
    assert list(ledger.of(Invoked)) == []
    assert [(t.function, t.request_ids) for t in ledger.of(Throttled)] == [("f", ("r7",))]


def test_lambda_throttle_fault_cuts_concurrency_to_zero() -> None:
    """`lambda.throttle` with concurrency 0 is an outage: every invocation in the window is
    throttled and none runs; after the window invocations run again. Source: aws-semantics.md
    1.1 "Setting 0 throttles every invocation"."""
    env, ledger = simpy.Environment(), Ledger()
    schedule = faults("[{lambda.throttle: {concurrency: 0, at: 0s, for: 10s}}]")
    service = lambda_service(env, ledger, schedule=schedule, concurrency=100)
    add(service, "f", sleeper(0.1))
    during = invoke(env, service, "f")
    env.run(until=11)
    after = invoke(env, service, "f", request_id="r2")
    env.run()
    assert (during.value.outcome, after.value.outcome) == ("throttled", "ok")


# -- scaling rate (aws-semantics.md 1.1 "Scaling rate", 1.5) ---------------------------------


def test_scaling_bucket_adds_at_most_1000_environments_per_10_seconds() -> None:
    """Per function, Lambda adds at most 1,000 execution environments every 10 s, refilled
    continuously; a request needing a new environment beyond that is throttled. Source:
    aws-semantics.md 1.1 "Scaling rate (since Nov 2023)", [DOC] scaling-behavior."""
    env, ledger = simpy.Environment(), Ledger()
    service = lambda_service(env, ledger, concurrency=5_000, unreserved_minimum=0)
    add(service, "f", sleeper(60.0), timeout=900.0)
    burst = start_many(env, service, "f", 1_200)
    env.run(until=0.001)
    assert sum(p.is_alive for p in burst) == 1_000
    assert {p.value.throttle_reason for p in burst if not p.is_alive} == {THROTTLED_SCALING}
    env.run(until=1.0)
    one_second_later = start_many(env, service, "f", 150)
    env.run(until=1.001)
    assert sum(p.is_alive for p in one_second_later) == 100, "refill: 1,000 per 10 s"


def test_warm_environments_do_not_need_scaling_tokens() -> None:
    """Only a *new* environment consumes the scaling allowance; reusing an idle one does not.
    Source: aws-semantics.md 1.5 "A new environment consumes the scaling-rate token bucket"."""
    env, ledger = simpy.Environment(), Ledger()
    service = lambda_service(env, ledger, concurrency=5_000, scale_per_10s=2)
    add(service, "f", sleeper(1.0))
    first = start_many(env, service, "f", 3)
    env.run(until=2.0)  # two environments made, now idle; bucket refilled by 0.4 tokens
    again = start_many(env, service, "f", 2)
    env.run()
    assert outcomes(first) == ["ok", "ok", "throttled"]
    assert outcomes(again) == ["ok", "ok"]


def test_a_forced_cold_start_needs_a_scaling_token_too() -> None:
    """`lambda.cold_start` runs an invocation on a new environment even when an idle one
    exists; a new environment consumes the scaling allowance, so beyond it the invocation is
    throttled. Source: aws-semantics.md 1.1 "Scaling rate", 1.5 "A new environment consumes
    the scaling-rate token bucket"."""
    env, ledger = simpy.Environment(), Ledger()
    schedule = faults("[{lambda.cold_start: {probability: 100%, at: 10s, for: 10s}}]")
    service = lambda_service(env, ledger, schedule=schedule, concurrency=5_000, scale_per_10s=2)
    add(service, "f", sleeper(1.0))
    warm_up = start_many(env, service, "f", 2)  # two environments: the bucket is empty
    env.run(until=10.0)  # idle since t=1; the bucket refilled to 2 by now
    forced = start_many(env, service, "f", 2)
    env.run(until=10.5)
    third = start_many(env, service, "f", 1)  # an idle one is still there, no token left
    env.run()
    assert outcomes(warm_up) == ["ok", "ok"]
    assert outcomes(forced) == ["ok", "ok"]
    assert outcomes(third) == ["throttled"]
    assert third[0].value.throttle_reason == THROTTLED_SCALING


# -- timeouts (aws-semantics.md 1.2, 1.3, 1.5) ------------------------------------------------


def test_timeout_is_an_unhandled_error_exactly_at_the_timeout() -> None:
    """A function that runs too long ends with an Unhandled error ("Task timed out after X
    seconds") exactly `timeout` seconds after it started. Source: aws-semantics.md 1.2
    "Invoke API response on a function error", 1.5, [DOC] configuration-timeout."""
    env, ledger = simpy.Environment(), Ledger()
    service = lambda_service(env, ledger)
    add(service, "f", sleeper(100.0), timeout=3.0)
    process = invoke(env, service, "f")
    env.run()
    result = process.value
    assert result.outcome == "timeout"
    assert result.error_type == "Sandbox.Timedout"
    assert result.error_message == "Task timed out after 3.00 seconds"
    (ended,) = ledger.of(InvocationEnded)
    assert (ended.t, ended.outcome) == (3.0, "timeout")


def test_the_timeout_counts_from_after_the_cold_start() -> None:
    """Init (the cold start) is its own phase with its own limit; the function timeout
    governs the Invoke phase. Source: aws-semantics.md 1.4 "Phases"."""
    env, ledger = simpy.Environment(), Ledger()
    service = lambda_service(env, ledger)
    add(service, "f", sleeper(100.0), timeout=3.0, cold_start={"base": 0.5, "jitter": 0.0})
    invoke(env, service, "f")
    env.run()
    (ended,) = ledger.of(InvocationEnded)
    assert ended.t == pytest.approx(3.5)


def test_writes_made_before_a_timeout_persist() -> None:
    """Side effects completed before the timeout persist; the rest never happens.
    Source: aws-semantics.md 1.5 "Side effects completed before the timeout persist"."""
    env, ledger = simpy.Environment(), Ledger()
    writes: list[str] = []

    def handler(event: Any, context: Any) -> None:
        writes.append("first")
        virtual_sleep(2.0)
        writes.append("second")
        virtual_sleep(2.0)
        writes.append("third")

    service = lambda_service(env, ledger)
    add(service, "f", handler, timeout=3.0)
    process = invoke(env, service, "f")
    env.run()
    assert process.value.outcome == "timeout"
    assert writes == ["first", "second"]


def test_timeout_overrun_lets_the_handler_run_on_with_no_remaining_time() -> None:
    """Lambda has been observed ending a function slightly after its timeout (300.68 s for a
    300 s timeout); in that window `get_remaining_time_in_millis()` returns 0, the handler's
    calls still happen, and the invocation ends as a timeout at timeout + overrun.
    Source: powertools-lambda-python issue 4759 ("It is an observed behavior of AWS that it
    kills lambda functions slightly after their timeout has been reached")."""
    env, ledger = simpy.Environment(), Ledger()
    seen: list[tuple[float, int]] = []

    def handler(event: Any, context: Any) -> None:
        for _ in range(5):
            virtual_sleep(1.0)
            seen.append((env.now, context.get_remaining_time_in_millis()))

    service = lambda_service(env, ledger)
    add(service, "f", handler, timeout=3.0, timeout_overrun=1.5)
    process = invoke(env, service, "f")
    env.run()
    assert process.value.outcome == "timeout"
    # 4.0 s is past the timeout, inside the overrun; 5.0 s never comes.
    assert seen == [(1.0, 2000), (2.0, 1000), (3.0, 0), (4.0, 0)]
    (ended,) = ledger.of(InvocationEnded)
    assert ended.t == pytest.approx(4.5)


def test_a_handler_returning_inside_the_overrun_still_timed_out() -> None:
    """The overrun is Lambda's lateness in ending the function, not extra time: a handler that
    returns after its timeout has run longer than allowed and the invocation is a timeout
    (a documented simplification). Source: powertools-lambda-python issue 4759;
    [DOC] configuration-timeout ("the maximum amount of time ... a function can run")."""
    env, ledger = simpy.Environment(), Ledger()
    service = lambda_service(env, ledger)
    add(service, "f", sleeper(3.3), timeout=3.0, timeout_overrun=0.68)
    process = invoke(env, service, "f")
    env.run()
    assert process.value.outcome == "timeout"
    (ended,) = ledger.of(InvocationEnded)
    assert ended.t == pytest.approx(3.3)


def test_handler_exception_is_a_function_error() -> None:
    """An exception in the handler is a function error with its errorType.
    Source: aws-semantics.md 1.2 (X-Amz-Function-Error, errorType)."""
    env, ledger = simpy.Environment(), Ledger()

    def handler(event: Any, context: Any) -> None:
        raise KeyError("order")

    service = lambda_service(env, ledger)
    add(service, "f", handler)
    process = invoke(env, service, "f")
    env.run()
    assert (process.value.outcome, process.value.error_type) == ("error", "KeyError")


def test_remaining_time_counts_down_to_the_timeout() -> None:
    """`context.get_remaining_time_in_millis()` is the time left before the timeout (what
    Powertools uses for its in-progress expiry). Source: aws-semantics.md 8 "In-progress
    expiry = the Lambda's remaining time"."""
    env, ledger = simpy.Environment(), Ledger()
    seen: list[int] = []

    def handler(event: Any, context: Any) -> None:
        seen.append(context.get_remaining_time_in_millis())
        virtual_sleep(1.25)
        seen.append(context.get_remaining_time_in_millis())

    service = lambda_service(env, ledger)
    add(service, "f", handler, timeout=5.0)
    invoke(env, service, "f")
    env.run()
    assert seen == [5000, 3750]


def test_injected_error_with_prevent_execution_does_not_run_the_handler() -> None:
    """`lambda.error` follows FIS aws:lambda:invocation-error: by default the handler does not
    run. Source: aws-semantics.md 9 "AWS Fault Injection Service Lambda actions"."""
    env, ledger = simpy.Environment(), Ledger()
    calls: list[float] = []
    schedule = faults("[{lambda.error: {probability: 100%}}]")
    service = lambda_service(env, ledger, schedule=schedule)
    add(service, "f", sleeper(0.0, calls))
    process = invoke(env, service, "f")
    env.run()
    assert (process.value.outcome, process.value.error_type) == ("error", "InjectedError")
    assert calls == []


# -- execution environments (aws-semantics.md 1.4) --------------------------------------------


def colds(ledger: Ledger) -> list[bool]:
    return [i.cold for i in ledger.of(Invoked)]


def test_cold_start_only_on_a_new_environment() -> None:
    """A cold start happens only when a new environment is created (first request, or
    scale-out); a sequential second request reuses the warm one. Source: aws-semantics.md 1.4
    "Model it: a cold start happens only when a new environment is created"."""
    env, ledger = simpy.Environment(), Ledger()
    service = lambda_service(env, ledger)
    add(service, "f", sleeper(1.0), cold_start={"base": 0.5, "jitter": 0.0})
    invoke(env, service, "f", request_id="a")
    env.run()
    assert env.now == pytest.approx(1.5), "the cold start adds its init time"
    invoke(env, service, "f", request_id="b")
    invoke(env, service, "f", request_id="c")  # concurrent with b: scale-out, a new one
    env.run()
    assert colds(ledger) == [True, False, True]


def test_idle_environments_are_reused_then_reclaimed() -> None:
    """Lambda keeps an idle environment for a while (non-deterministic on AWS; here
    `idle_lifetime`), then reclaims it, so the next request is cold again. Source:
    aws-semantics.md 1.4 "Reuse"."""
    env, ledger = simpy.Environment(), Ledger()
    service = lambda_service(env, ledger)
    add(service, "f", sleeper(0.0), cold_start={"base": 0.0, "jitter": 0.0, "idle_lifetime": 600.0})
    invoke(env, service, "f", request_id="a")
    env.run(until=599)
    invoke(env, service, "f", request_id="b")
    env.run(until=1200)
    invoke(env, service, "f", request_id="c")
    env.run()
    assert colds(ledger) == [True, False, True]


def test_a_timed_out_environment_is_not_reused() -> None:
    """After a timeout the sandbox is reset: the next invocation initialises again.
    Source: aws-semantics.md 1.4 (lifecycle: Init is retried at the next invocation)."""
    env, ledger = simpy.Environment(), Ledger()
    slow = {"seconds": 100.0}

    def handler(event: Any, context: Any) -> None:
        virtual_sleep(slow["seconds"])

    service = lambda_service(env, ledger)
    add(service, "f", handler, timeout=1.0)
    invoke(env, service, "f", request_id="a")
    env.run()
    slow["seconds"] = 0.0
    invoke(env, service, "f", request_id="b")
    env.run()
    assert colds(ledger) == [True, True]


def test_module_state_is_per_execution_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every execution environment runs the handler module's init itself, so module-level
    state (SDK clients, caches) is per environment and survives warm reuse. Source:
    aws-semantics.md 1.4 "Phases" (function static code runs in Init); ARCHITECTURE.md "One
    handler module per execution environment"."""
    system = custom_system("""
        system: counting
        architecture: sync
        api: {function: f}
        functions: {f: {handler: "tests.engine.handlers:count_invocations"}}
        tables: {orders: {}}
        effects: {table: orders}
    """)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the module makes a client
    env, ledger = simpy.Environment(), Ledger()
    service = lambda_service(env, ledger)
    definition = system.definition.functions["f"].model_copy(
        update={
            "cold_start": system.definition.functions["f"].cold_start.model_copy(
                update={"base": 0.0, "jitter": 0.0}
            )
        }
    )
    service.add("f", definition, HandlerModule(definition.handler, system).new_handler)
    with VirtualClock(env):  # the handler's time.sleep waits in virtual time
        first = invoke(env, service, "f", request_id="a")
        concurrent = invoke(env, service, "f", request_id="b")
        env.run()
        reused = invoke(env, service, "f", request_id="c")
        env.run()
    assert [first.value.payload["count"], concurrent.value.payload["count"]] == [1, 1]
    assert reused.value.payload["count"] == 2


# -- injected invocation faults (aws-semantics.md 9, FIS aws:lambda actions) --------------------


def test_lambda_latency_delays_the_handler_and_counts_against_the_timeout() -> None:
    """`lambda.latency` adds a delay before the handler starts (FIS
    aws:lambda:invocation-add-delay); the delay is part of the invocation's duration, so a
    long enough one ends in a timeout. Source: aws-semantics.md 9 (FIS Lambda actions), 1.3."""
    env, ledger = simpy.Environment(), Ledger()
    schedule = faults("[{lambda.latency: {delay: 2s}}]")
    service = lambda_service(env, ledger, schedule=schedule)
    add(service, "f", sleeper(0.5), timeout=3.0)
    invoke(env, service, "f", request_id="a")
    env.run()
    assert [(e.t, e.outcome) for e in ledger.of(InvocationEnded)] == [(2.5, "ok")]
    add(service, "g", sleeper(0.5), timeout=2.0)
    invoke(env, service, "g", request_id="b")
    env.run()
    assert [e.outcome for e in ledger.of(InvocationEnded)][-1] == "timeout"


def test_lambda_timeout_fault_hangs_until_the_function_timeout() -> None:
    """`lambda.timeout` makes the invocation hang: it ends with a timeout exactly at the
    function timeout and the handler never completes. Source: aws-semantics.md 1.2, 1.5."""
    env, ledger = simpy.Environment(), Ledger()
    calls: list[float] = []
    schedule = faults("[{lambda.timeout: {probability: 100%}}]")
    service = lambda_service(env, ledger, schedule=schedule)
    add(service, "f", sleeper(0.0, calls), timeout=7.0)
    process = invoke(env, service, "f")
    env.run()
    assert process.value.outcome == "timeout"
    assert [e.t for e in ledger.of(InvocationEnded)] == [7.0]
    assert calls == []


def test_lambda_error_after_running_keeps_the_handlers_side_effects() -> None:
    """`lambda.error` with `prevent_execution: false` runs the handler first, then fails the
    invocation: its side effects happened. Source: aws-semantics.md 9 (FIS
    aws:lambda:invocation-error, preventExecution), 1.2 ("might have run completely")."""
    env, ledger = simpy.Environment(), Ledger()
    calls: list[float] = []
    schedule = faults("[{lambda.error: {probability: 100%, prevent_execution: false}}]")
    service = lambda_service(env, ledger, schedule=schedule)
    add(service, "f", sleeper(0.0, calls))
    process = invoke(env, service, "f")
    env.run()
    assert process.value.outcome == "error" and calls == [0.0]
