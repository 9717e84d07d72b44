"""`within`: the caller waits for a body up to a deadline; the body goes on past it.

This is how API Gateway gives up at the integration timeout while the Lambda function keeps
running (aws-semantics.md 2.3) and how a client gives up at its own timeout. The tests pin
that running the body inline answers exactly as `process | timeout` did.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from chaos._sim.waits import wait, within


def body(env: simpy.Environment, log: list[tuple[float, str]], steps: list[float]) -> Any:
    for step in steps:
        yield wait(env, step)
        log.append((env.now, f"after {step}"))
    return "done"


def caller(
    env: simpy.Environment, log: list[tuple[float, str]], work: Any, deadline: float
) -> Generator[simpy.Event, Any, None]:
    answered, value = yield from within(env, work, deadline)
    log.append((env.now, f"caller: {answered}, {value}"))


def test_a_body_that_ends_in_time_answers_inline_with_no_timer_left_behind() -> None:
    env, log = simpy.Environment(), []
    env.process(caller(env, log, body(env, log, [1.0, 2.0]), deadline=29.0))
    env.run()
    assert log == [(1.0, "after 1.0"), (3.0, "after 2.0"), (3.0, "caller: True, done")]
    assert env.now == 3.0  # no 29 s timer kept the simulation going


def test_at_the_deadline_the_caller_gives_up_and_the_body_goes_on() -> None:
    env, log = simpy.Environment(), []
    env.process(caller(env, log, body(env, log, [1.0, 30.0, 5.0]), deadline=29.0))
    env.run()
    assert log == [
        (1.0, "after 1.0"),
        (29.0, "caller: False, None"),
        (31.0, "after 30.0"),
        (36.0, "after 5.0"),
    ]


def test_a_wait_ending_exactly_at_the_deadline_loses_the_tie() -> None:
    """As with `process | timeout`, whose timer was made first: the caller gives up, then
    the body resumes at the same instant."""
    env, log = simpy.Environment(), []
    env.process(caller(env, log, body(env, log, [29.0]), deadline=29.0))
    env.run()
    assert log == [(29.0, "caller: False, None"), (29.0, "after 29.0")]


@pytest.mark.parametrize("finishes_at, in_time", [(10.0, True), (40.0, False)])
def test_any_other_event_is_raced_against_a_timer(finishes_at: float, in_time: bool) -> None:
    env, log = simpy.Environment(), []

    def other(env: simpy.Environment) -> Any:
        yield env.timeout(finishes_at)  # a plain timeout: its end is not known to `within`
        return "other"

    def work() -> Any:
        value = yield env.process(other(env))
        log.append((env.now, f"body got {value}"))
        return value

    env.process(caller(env, log, work(), deadline=29.0))
    env.run()
    answer = (finishes_at, "caller: True, other") if in_time else (29.0, "caller: False, None")
    assert answer in log
    assert (finishes_at, "body got other") in log


@pytest.mark.parametrize("late", [False, True])
def test_a_failed_event_is_thrown_into_the_body(late: bool) -> None:
    env, log = simpy.Environment(), []

    def failing(env: simpy.Environment) -> Any:
        yield env.timeout(40.0 if late else 1.0)
        raise ValueError("boom")

    def work() -> Any:
        try:
            yield env.process(failing(env))
        except ValueError as error:
            log.append((env.now, f"body caught {error}"))
        return "handled"

    env.process(caller(env, log, work(), deadline=29.0))
    env.run()
    if late:
        assert log == [(29.0, "caller: False, None"), (40.0, "body caught boom")]
    else:
        assert log == [(1.0, "body caught boom"), (1.0, "caller: True, handled")]


def test_nested_deadlines_each_give_up_at_their_own() -> None:
    """A client (10 s) waiting for API Gateway (29 s) waiting for a function (40 s)."""
    env, log = simpy.Environment(), []

    def gateway() -> Any:
        answered, _ = yield from within(env, body(env, log, [40.0]), env.now + 29.0)
        log.append((env.now, f"gateway: {answered}"))
        return 504

    env.process(caller(env, log, gateway(), deadline=10.0))
    env.run()
    assert log == [
        (10.0, "caller: False, None"),
        (29.0, "gateway: False"),
        (40.0, "after 40.0"),
    ]
