"""The wall-clock watchdog behind every guarantee, and interrupts that stop a run cleanly.

Virtual time only moves when handler code yields (sleeps, AWS calls) or reads the clock (each
read costs virtual time, see `charge`). Code that does neither (`while True: pass`) would
hold the run forever, so a thread watches the running fiber: when it has run for the wall
budget without yielding or reading the clock, the watchdog interrupts the main thread
(`_thread.interrupt_main`, which runs our signal handler between two bytecodes of the
spinning code) and the handler switches away from the fiber for good: the invocation is
recorded as timed out at its virtual deadline. Nothing of the wall time reaches the run: a
loop that never yields would never end, so stopping it gives the same outcome on any machine.
A handler that really computes for longer than the budget without a yield would be stopped
too; the budget is generous (`CHAOS_ARENA_WALL_BUDGET`, seconds) for that reason.

The budget is the main thread's CPU time, where the platform can read another thread's CPU
clock (`time.pthread_getcpuclockid`): on a loaded machine a stretch of handler code takes
longer on the wall clock but the same CPU time, so whether it is stopped does not depend on
what else the machine runs (a run's result must not). Code blocked without spending CPU (a
real lock, a pipe) is still stopped once it has been stuck for `WALL_FACTOR` budgets of wall
time.

Preemption waits while engine code (chaos-arena, the SDK, moto) is on the fiber's stack;
the watchdog keeps interrupting until the stack is the handler's own.

SIGINT and SIGTERM get our handlers for the run: they note the signal, and the run stops at
the next event (a fiber still running is preempted at once). The previous handlers (pytest's,
the user's) come back when the run ends.
"""

from __future__ import annotations

import _thread
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from chaos._sandbox.code import interruptible, location
from chaos._sim.fibers import Fiber, current_fiber, preempt

WALL_FACTOR = 10
"""Wall budgets a fiber may be stuck without spending CPU before it is stopped."""

_POKE = getattr(signal, "SIGUSR2", None)
"""The signal number the watchdog 'delivers' through interrupt_main (no OS signal is sent;
only its Python-level handler runs, which must be ours for the run)."""


class Watchdog:
    """Stops a fiber that runs `budget` wall seconds without yielding or reading the clock."""

    def __init__(self, budget: float, on_stop: Callable[[Fiber, str], None]) -> None:
        self.budget = budget
        self._on_stop = on_stop
        self._running: Fiber | None = None
        self._progress = 0
        self._target: Fiber | None = None
        self._urgent = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._previous: Any = None
        self._cpu_clock: Callable[[], float] | None = None

    # -- the main thread's side: a few attribute writes per switch ------------------------

    def entered(self, fiber: Fiber) -> None:
        self._running = fiber
        self._progress += 1

    def left(self) -> None:
        self._running = None
        self._target = None

    def progress(self) -> None:
        self._progress += 1

    def hurry(self) -> None:
        """Stop the running fiber at once (an interrupt is waiting for the run to stop)."""
        self._urgent = True

    # -- lifetime ---------------------------------------------------------------------------

    def start(self) -> bool:
        """Start watching; False where preemption cannot work (not the main thread)."""
        if _POKE is None or threading.current_thread() is not threading.main_thread():
            return False
        self._previous = signal.signal(_POKE, self._on_poke)
        self._cpu_clock = _main_thread_cpu_clock()
        self._thread = threading.Thread(target=self._watch, name="chaos-arena-watchdog")
        self._thread.daemon = True
        self._thread.start()
        return True

    def stop(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
            signal.signal(_POKE, self._previous)  # type: ignore[arg-type]

    # -- the watchdog thread ----------------------------------------------------------------

    def _watch(self) -> None:
        tick = min(0.05, self.budget / 4)
        cpu = self._cpu_clock
        seen: tuple[Fiber | None, int] = (None, -1)
        idle = 0.0  # wall seconds since the running fiber last made progress
        cpu_at = 0.0  # the main thread's CPU time when it last did
        while not self._done.wait(tick):
            running, progress = self._running, self._progress
            if running is None:
                seen, idle = (None, -1), 0.0
                continue
            if (running, progress) != seen:
                seen, idle = (running, progress), 0.0
                cpu_at = cpu() if cpu is not None else 0.0
            else:
                idle += tick
            spent = cpu() - cpu_at if cpu is not None else idle
            if self._urgent or spent >= self.budget or idle >= self.budget * WALL_FACTOR:
                self._target = running
                _thread.interrupt_main(_POKE)  # type: ignore[arg-type]

    # -- in the main thread, between two bytecodes of the running code ----------------------

    def _on_poke(self, _signum: int, frame: FrameType | None) -> None:
        fiber = self._target
        if fiber is None or current_fiber() is not fiber:
            return  # it yielded meanwhile
        if not interruptible(frame):
            return  # engine code on its stack: the next poke tries again
        self._target = None
        where = location(frame)
        if not self._urgent:
            self._on_stop(fiber, where)
        preempt(fiber, "spinning", "", where)


def _main_thread_cpu_clock() -> Callable[[], float] | None:
    """A reader of the calling (main) thread's CPU time, usable from another thread; None
    where the platform has none (the watchdog then counts wall time)."""
    try:
        clock = time.pthread_getcpuclockid(threading.get_ident())
        time.clock_gettime(clock)
    except (AttributeError, OSError):
        return None
    return lambda: time.clock_gettime(clock)


class Interrupts:
    """SIGINT and SIGTERM during a run: noted, acted on between events of the simulation."""

    def __init__(self, watchdog: Watchdog | None, on_signal: Callable[[], None]) -> None:
        self.signal: int | None = None
        self._watchdog = watchdog
        self._on_signal_noted = on_signal
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._on_signal)

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.signal is not None and current_fiber() is None:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now, whatever is running
        self.signal = signum
        self._on_signal_noted()
        if self._watchdog is not None and current_fiber() is not None:
            self._watchdog.hurry()
