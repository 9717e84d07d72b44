"""Run plain, blocking Python (handler code, boto3) inside SimPy processes.

Handler code calls `time.sleep` (its own waits, botocore's retry backoff) and expects to
block. Each invocation runs in a greenlet (a `Fiber`); a sleep inside it switches back to the
SimPy process driving it, which waits that long in virtual time and switches back. The world
stays single-threaded and deterministic, and no sleep ever blocks the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy
from greenlet import getcurrent, greenlet


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


def drive(
    env: simpy.Environment,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    context: Any,
    deadline: float,
) -> Generator[simpy.Event, Any, FiberOutcome]:
    """A SimPy process body that runs `fn(*args)` in a fiber until it ends or `deadline`.

    At the deadline the fiber is killed where it waits; what it already did stays done
    (Lambda: writes before a timeout persist).
    """
    fiber = Fiber(fn)
    fiber.context = context
    try:
        request = fiber.switch(*args)
    except _FIBER_ERRORS as error:
        return FiberOutcome(error=error)
    while not fiber.dead:
        remaining = deadline - env.now
        if request.seconds >= remaining:
            if remaining > 0:
                yield env.timeout(remaining)
            _kill(fiber)
            return FiberOutcome(timed_out=True)
        yield env.timeout(request.seconds)
        try:
            request = fiber.switch()
        except _FIBER_ERRORS as error:
            return FiberOutcome(error=error)
    return FiberOutcome(value=request)


def _kill(fiber: Fiber) -> None:
    fiber.killed = True
    try:
        fiber.throw(Killed)
    except Killed:
        pass
    except Exception:
        pass
