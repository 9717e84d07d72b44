"""Run plain, blocking Python (handler code, boto3) inside SimPy processes.

Handler code calls `time.sleep` (its own waits, botocore's retry backoff) and expects to
block. Each invocation runs in a greenlet (a `Fiber`); a sleep inside it switches back to the
SimPy process driving it, which waits that long in virtual time and switches back. The world
stays single-threaded and deterministic, and no sleep ever blocks the wall clock.

A fiber's own clock runs ahead of the simulation by its `debt`: virtual time its code has
spent (clock reads are charged, see `chaos._sandbox`) but not yet waited for. The driver waits
the debt off at the fiber's next yield, so the rest of the world sees it then.

A fiber can end three ways besides returning: its deadline passes while it waits (it is
killed there, `Killed` unwinding its frames), or it is *preempted*: switched away from in the
middle of its own code, because it spun without yielding or reached its deadline at a clock
read. A preempted fiber is never resumed, not even to unwind (a handler's
`except BaseException` could swallow anything thrown in), and is kept referenced for good:
a greenlet that is garbage collected is resumed with GreenletExit.

A world keeps the fibers whose invocation ended normally in a `FiberPool` and runs the next
invocation in one of them: a fresh greenlet per invocation cost ~5% of a run (its creation,
and a new frame stack grown to botocore's depth on every call).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol

import simpy
from greenlet import GreenletExit, getcurrent, greenlet

from chaos._sim.waits import wait


@dataclass(frozen=True, slots=True)
class Sleep:
    """What a fiber asks its driver for: wait this many virtual seconds."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Preempted:
    """What a fiber hands its driver when it is switched away from for good.

    Attributes:
        reason: `deadline` (its clock reached the deadline in its own code), `spinning` (it
            ran for the wall budget without yielding) or `exit` (it ended its process:
            `os._exit`, a signal to itself).
        detail: one line for the invocation's failure ("exit status 3", "handler.py:4").
    """

    reason: str
    detail: str = ""
    location: str = ""
    """`file:line` in the fiber's own code where it was stopped, when known."""


class Killed(BaseException):
    """Thrown into a fiber whose invocation ended (a timeout): AWS freezes the sandbox.

    A BaseException, so handler code's `except Exception` cannot swallow it.
    """


class FiberState(Protocol):
    """Process state that follows a fiber: put in place each time it runs, put away after."""

    def enter(self, fiber: Fiber) -> None: ...

    def leave(self, fiber: Fiber) -> None: ...


class Fiber(greenlet):
    """A greenlet that knows what it is running for (read by the AWS call interceptor)."""

    context: Any = None
    killed: bool = False
    debt: float = 0.0
    """Virtual seconds the fiber's code has spent that the driver has not waited yet."""
    deadline: float = math.inf
    """Virtual instant by which its job must end."""
    state: FiberState | None = None


ABANDONED: list[Fiber] = []
"""Preempted fibers, kept for the life of the process: collecting one would resume it."""


def current_fiber() -> Fiber | None:
    current = getcurrent()
    return current if isinstance(current, Fiber) else None


def virtual_sleep(seconds: float) -> None:
    """`time.sleep` while a world runs: a fiber waits in virtual time.

    Outside a fiber (module import, engine code) there is no process to wait in, so the
    call returns at once.
    """
    if seconds < 0 or math.isnan(seconds):  # as time.sleep: both are errors
        raise ValueError("sleep length must be non-negative")
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


def preempt(fiber: Fiber, reason: str, detail: str = "", location: str = "") -> None:
    """Switch away from `fiber` (the running one) for good; its driver gets a `Preempted`."""
    driver = fiber.parent
    assert driver is not None
    fiber.killed = True
    driver.switch(Preempted(reason, detail, location))
    raise Killed  # never reached: a preempted fiber is not resumed


@dataclass(slots=True)
class FiberOutcome:
    """How a fiber ended: its return value, the exception it raised, or the deadline."""

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    preempted: Preempted | None = None
    """Set when the fiber was switched away from for good (see `Preempted`)."""
    frame: FrameType | None = None
    """At a timeout: where the fiber's code was waiting (read it at once; it is unwound)."""


@dataclass(frozen=True, slots=True)
class _Finished:
    """What a fiber hands its driver when the job's function returned or raised."""

    value: Any = None
    error: BaseException | None = None


def _serve(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """A fiber's body: run a job, hand back how it ended, wait for the next job.

    Whatever the job raises is its outcome: `sys.exit()` or a KeyboardInterrupt raised in
    handler code fails that invocation (AWS: Runtime.ExitError), never the simulation. Only
    `Killed` (thrown in at a deadline) and GreenletExit end the fiber itself.
    """
    while True:
        try:
            finished = _Finished(value=fn(*args))
        except (Killed, GreenletExit):
            raise
        except BaseException as error:
            finished = _Finished(error=error)
        driver = getcurrent().parent
        assert driver is not None  # a fiber is always started by a driver
        fn, args = driver.switch(finished)


SERVE_CODE = _serve.__code__
"""The bottom frame of every fiber: where its job's own stack begins."""


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
        fiber.context = fiber.state = None
        self._idle.append(fiber)

    def kill(self, fiber: Fiber) -> None:
        """End a fiber where it waits (see `Killed`); it is never reused."""
        self._busy.discard(fiber)
        fiber.killed = True
        try:
            _resume(fiber, fiber.throw, Killed)
        except Exception:  # handler code raised another error while unwinding: still ended
            pass
        except Killed:
            pass
        fiber.context = fiber.state = None

    def abandon(self, fiber: Fiber) -> None:
        """Keep a preempted fiber for good (see `ABANDONED`); it is never resumed."""
        self._busy.discard(fiber)
        fiber.context = fiber.state = None
        ABANDONED.append(fiber)

    def close(self) -> None:
        """End every fiber: the ones still inside an invocation when the world stopped are
        killed as at a timeout, so their code cannot act after the run; idle ones just end."""
        for fiber in list(self._busy):
            self.kill(fiber)
        while self._idle:
            self._idle.pop().throw(GreenletExit)


def _resume(fiber: Fiber, switch: Callable[..., Any], *args: Any) -> Any:
    """Run `fiber` until it hands something back, with its process state in place."""
    state = fiber.state
    if state is None:
        return switch(*args)
    state.enter(fiber)
    try:
        return switch(*args)
    finally:
        state.leave(fiber)


def drive(
    env: simpy.Environment,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    context: Any,
    deadline: float,
    pool: FiberPool,
    state: FiberState | None = None,
) -> Generator[simpy.Event, Any, FiberOutcome]:
    """A SimPy process body that runs `fn(*args)` in a fiber until it ends or `deadline`.

    At the deadline the fiber is killed where it waits; what it already did stays done
    (Lambda: writes before a timeout persist). A killed fiber is never reused.
    """
    fiber = pool.take(context)
    fiber.deadline, fiber.debt, fiber.state = deadline, 0.0, state
    request = _resume(fiber, fiber.switch, fn, args)
    while True:
        if isinstance(request, Preempted):
            pool.abandon(fiber)
            if request.reason != "exit" and deadline - env.now > 0:
                yield wait(env, deadline - env.now)
            return FiberOutcome(timed_out=request.reason != "exit", preempted=request)
        seconds = fiber.debt + (request.seconds if isinstance(request, Sleep) else 0.0)
        fiber.debt = 0.0
        remaining = deadline - env.now
        if seconds >= remaining and (isinstance(request, Sleep) or seconds > remaining):
            if remaining > 0:
                yield wait(env, remaining)
            frame = None
            if isinstance(request, _Finished):  # it returned, but its own work ran past
                pool.give_back(fiber)
            else:
                frame = fiber.gr_frame
                pool.kill(fiber)
            return FiberOutcome(timed_out=True, frame=frame)
        if seconds > 0:
            yield wait(env, seconds)
        if isinstance(request, _Finished):
            pool.give_back(fiber)
            return FiberOutcome(value=request.value, error=request.error)
        request = _resume(fiber, fiber.switch)
