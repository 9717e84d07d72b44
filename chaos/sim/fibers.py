"""Run plain, blocking Python (handler code, boto3) inside SimPy processes.

Handler code calls `time.sleep` (its own waits, botocore's retry backoff) and expects to
block. Each invocation runs in a greenlet (a `Fiber`); a sleep inside it switches back to the
SimPy process driving it, which waits that long in virtual time and switches back. The world
stays single-threaded and deterministic, and no sleep ever blocks the wall clock.

A world keeps the fibers whose invocation ended normally in a `FiberPool` and runs the next
invocation in one of them: a fresh greenlet per invocation cost ~5% of a run (its creation,
and a new frame stack grown to botocore's depth on every call).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy
from greenlet import GreenletExit, getcurrent, greenlet

from chaos.sim.waits import wait


@dataclass(frozen=True, slots=True)
class Sleep:
    """What a fiber asks its driver for: wait this many virtual seconds."""

    seconds: float


class Killed(BaseException):
    """Thrown into a fiber whose invocation ended (a timeout): AWS freezes the sandbox.

    A BaseException, so handler code's `except Exception` cannot swallow it.
    """


class Fiber(greenlet):
    """A greenlet that knows what it is running for (read by the AWS call interceptor)."""

    context: Any = None
    killed: bool = False


def current_fiber() -> Fiber | None:
    current = getcurrent()
    return current if isinstance(current, Fiber) else None


def virtual_sleep(seconds: float) -> None:
    """`time.sleep` while a world runs: a fiber waits in virtual time.

    Outside a fiber (module import, engine code) there is no process to wait in, so the
    call returns at once.
    """
    fiber = current_fiber()
    if fiber is None or seconds <= 0:
        return
    if fiber.killed:
        raise Killed
    driver = fiber.parent
    assert driver is not None  # a fiber is always started by a driver
    driver.switch(Sleep(float(seconds)))
    if fiber.killed:
        raise Killed


@dataclass(slots=True)
class FiberOutcome:
    """How a fiber ended: its return value, the exception it raised, or the deadline."""

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False


_FIBER_ERRORS = (Exception, SystemExit)
"""What ends a fiber as its own error. `sys.exit()` in handler code fails the invocation (AWS:
Runtime.ExitError), not the simulation."""


@dataclass(frozen=True, slots=True)
class _Finished:
    """What a fiber hands its driver when the job's function returned or raised."""

    value: Any = None
    error: BaseException | None = None


def _serve(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """A fiber's body: run a job, hand back how it ended, wait for the next job."""
    while True:
        try:
            finished = _Finished(value=fn(*args))
        except _FIBER_ERRORS as error:
            finished = _Finished(error=error)
        driver = getcurrent().parent
        assert driver is not None  # a fiber is always started by a driver
        fn, args = driver.switch(finished)


class FiberPool:
    """Idle fibers of one world, reused for its next invocations.

    A reused fiber starts each job in an empty `contextvars` context, as a new greenlet
    does, so no context variable leaks from one invocation (or execution environment) into
    another. `close` ends the idle fibers: a suspended greenlet in a reference cycle is never
    collected, and an idle fiber's frame still reaches its last job (and the whole world).
    """

    def __init__(self) -> None:
        self._idle: list[Fiber] = []
        self._busy: set[Fiber] = set()

    def take(self, context: Any) -> Fiber:
        if self._idle:
            fiber = self._idle.pop()
            fiber.gr_context = None
            fiber.parent = getcurrent()  # a job ends by switching to whoever drives it now
        else:
            fiber = Fiber(_serve)
        fiber.context = context
        self._busy.add(fiber)
        return fiber

    def give_back(self, fiber: Fiber) -> None:
        self._busy.discard(fiber)
        fiber.context = None
        self._idle.append(fiber)

    def kill(self, fiber: Fiber) -> None:
        """End a fiber where it waits (see `Killed`); it is never reused."""
        self._busy.discard(fiber)
        fiber.killed = True
        try:
            fiber.throw(Killed)
        except Exception:  # handler code raised another error while unwinding: still ended
            pass
        except Killed:
            pass

    def close(self) -> None:
        """End every fiber: the ones still inside an invocation when the world stopped are
        killed as at a timeout, so their code cannot act after the run; idle ones just end."""
        for fiber in list(self._busy):
            self.kill(fiber)
        while self._idle:
            self._idle.pop().throw(GreenletExit)


def drive(
    env: simpy.Environment,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    context: Any,
    deadline: float,
    pool: FiberPool,
) -> Generator[simpy.Event, Any, FiberOutcome]:
    """A SimPy process body that runs `fn(*args)` in a fiber until it ends or `deadline`.

    At the deadline the fiber is killed where it waits; what it already did stays done
    (Lambda: writes before a timeout persist). A killed fiber is never reused.
    """
    fiber = pool.take(context)
    request = fiber.switch(fn, args)
    while not isinstance(request, _Finished):
        remaining = deadline - env.now
        if request.seconds >= remaining:
            if remaining > 0:
                yield wait(env, remaining)
            pool.kill(fiber)
            return FiberOutcome(timed_out=True)
        yield wait(env, request.seconds)
        request = fiber.switch()
    pool.give_back(fiber)
    return FiberOutcome(value=request.value, error=request.error)
