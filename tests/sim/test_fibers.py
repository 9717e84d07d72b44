"""Fibers run blocking handler code inside SimPy processes; a deadline kills the fiber where
it waits and what it did before stays done (Lambda: "side effects completed before the
timeout persist", aws-semantics.md 1.5)."""

from __future__ import annotations

import contextvars
from typing import Any

import pytest
import simpy
from greenlet import greenlet

from chaos._sim import FiberPool, Killed, current_fiber, drive, virtual_sleep


def _drive(env: simpy.Environment, fn: Any, *, deadline: float) -> simpy.Process:
    return env.process(drive(env, fn, (), context="ctx", deadline=deadline, pool=FiberPool()))


def test_a_fiber_returns_its_value_after_its_virtual_sleeps() -> None:
    env = simpy.Environment()

    def work() -> str:
        assert current_fiber() is not None and current_fiber().context == "ctx"  # type: ignore[union-attr]
        virtual_sleep(2.0)
        virtual_sleep(3.0)
        return "ok"

    process = _drive(env, work, deadline=10.0)
    env.run()
    assert process.value.value == "ok"
    assert env.now == 5.0


def test_an_exception_is_the_outcome_not_a_crash() -> None:
    env = simpy.Environment()

    def fail() -> None:
        virtual_sleep(1.0)
        raise ValueError("boom")

    process = _drive(env, fail, deadline=10.0)
    env.run()
    assert isinstance(process.value.error, ValueError)


def test_the_deadline_kills_the_fiber_exactly_then_and_earlier_work_stays() -> None:
    env = simpy.Environment()
    done: list[str] = []
    cleanup: list[type[BaseException]] = []

    def slow() -> None:
        done.append("write")
        try:
            virtual_sleep(100.0)
            done.append("never")
        except BaseException as error:  # the sandbox is frozen: Killed reaches the code
            cleanup.append(type(error))
            raise

    process = _drive(env, slow, deadline=3.0)
    env.run()
    assert process.value.timed_out
    assert env.now == 3.0
    assert done == ["write"]
    assert cleanup == [Killed]


def test_except_exception_cannot_swallow_the_kill() -> None:
    env = simpy.Environment()
    after: list[str] = []

    def stubborn() -> None:
        try:
            virtual_sleep(10.0)
        except Exception:
            after.append("swallowed")
        after.append("continued")

    process = _drive(env, stubborn, deadline=1.0)
    env.run()
    assert process.value.timed_out
    assert after == []


def test_virtual_sleep_outside_a_fiber_is_a_no_op() -> None:
    assert current_fiber() is None
    virtual_sleep(5.0)


def test_a_zero_sleep_does_not_yield() -> None:
    env = simpy.Environment()

    def work() -> str:
        virtual_sleep(0.0)
        return "ok"

    process = _drive(env, work, deadline=1.0)
    env.run()
    assert process.value.value == "ok" and env.now == 0


@pytest.mark.parametrize("seconds", [-1.0, float("nan")])
def test_negative_and_nan_sleeps_fail_as_time_sleep_does(seconds: float) -> None:
    """`time.sleep(-1)` raises ValueError("sleep length must be non-negative"); so does the
    virtual sleep that replaces it, in a fiber or not."""
    with pytest.raises(ValueError, match="non-negative"):
        virtual_sleep(seconds)


@pytest.mark.parametrize("sleep_first", [False, True])
def test_sys_exit_in_handler_code_is_the_fibers_error_not_the_runs(sleep_first: bool) -> None:
    """Handler code that calls `sys.exit()` fails its own invocation (Lambda reports
    Runtime.ExitError); it must not end the simulation or the test process.
    Source: aws-semantics.md 1.2 (function errors are the invocation's outcome)."""
    env = simpy.Environment()

    def leave() -> None:
        if sleep_first:
            virtual_sleep(1.0)
        raise SystemExit(1)

    process = _drive(env, leave, deadline=10.0)
    env.run()
    assert isinstance(process.value.error, SystemExit)


def test_a_pool_reuses_a_fiber_and_each_job_starts_with_an_empty_context() -> None:
    """Invocations share pooled greenlets for speed, but nothing may leak between them:
    a fresh greenlet starts in an empty contextvars context, so a reused one must too."""
    env = simpy.Environment()
    pool = FiberPool()
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    seen: list[tuple[int, str]] = []

    def job() -> None:
        fiber = current_fiber()
        seen.append((id(fiber), var.get()))
        var.set("set by an earlier job")
        virtual_sleep(1.0)

    for _ in range(3):
        env.process(drive(env, job, (), context="ctx", deadline=10.0, pool=pool))
        env.run()
    assert [value for _, value in seen] == ["unset"] * 3
    assert len({fiber for fiber, _ in seen}) == 1, "one fiber served all three jobs"


def test_a_killed_fiber_is_never_reused() -> None:
    env = simpy.Environment()
    pool = FiberPool()
    fibers: list[Any] = []

    def job(sleep: float) -> None:
        fibers.append(current_fiber())
        virtual_sleep(sleep)

    env.process(drive(env, job, (100.0,), context="ctx", deadline=1.0, pool=pool))
    env.run()
    env.process(drive(env, job, (0.5,), context="ctx", deadline=10.0, pool=pool))
    env.run()
    assert fibers[0].dead and fibers[1] is not fibers[0]


def test_a_pooled_fiber_answers_whoever_drives_it_now() -> None:
    """A world may be run from inside another greenlet (a gevent-based test runner, say):
    a reused fiber must hand its result to the greenlet driving it now, not the one that
    made it."""
    env = simpy.Environment()
    pool = FiberPool()
    fibers: list[Any] = []

    def job() -> str:
        fibers.append(current_fiber())
        return "done"

    def run_one() -> Any:
        process = env.process(drive(env, job, (), context=None, deadline=10.0, pool=pool))
        env.run()
        return process.value.value

    assert run_one() == "done"
    assert greenlet(run_one).switch() == "done"
    assert fibers[0] is fibers[1], "the second job reused the first one's fiber"
