"""Virtual time: a SimPy environment that freezegun's clock follows, and a virtual sleep.

While a `VirtualClock` is running, `time.time()`, `datetime.now()` and moto's timestamps
read `epoch + env.now`, and `time.sleep` waits in virtual time (see `fibers`). Nothing here
knows about AWS.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from types import CodeType, TracebackType
from typing import Any

import freezegun.api
import simpy
from freezegun import freeze_time

from chaos._errors import InternalError
from chaos._sim import compat
from chaos._sim.fibers import Fiber, current_fiber, virtual_sleep

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
"""Virtual time zero. Fixed, so timestamps in handlers and moto are reproducible."""

_REAL_PERF_COUNTER = [time.perf_counter]
"""Kept in a list: freezegun replaces module attributes that hold the real function."""


def wall_clock() -> float:
    """Real elapsed-time counter, unaffected by a running virtual clock."""
    return _REAL_PERF_COUNTER[0]()


ClockCharge = Callable[[Fiber], None]
"""Called at every clock read made inside a fiber, before the time is read: it may add to the
fiber's debt (the read costs virtual time) or end the fiber (see `chaos._sandbox.charge`)."""


class _FollowSimulation(freezegun.api.FrozenDateTimeFactory):
    """A freezegun time factory that reads the simulation's clock whenever asked.

    Inside a fiber the clock is the fiber's own: the simulation's time plus the fiber's
    debt, so code that spends virtual time between yields sees it pass.
    """

    def __init__(
        self, env: simpy.Environment, epoch: dt.datetime, charge: ClockCharge | None
    ) -> None:
        self._env = env
        self._epoch = epoch.replace(tzinfo=None)
        self._charge = charge
        super().__init__(self._epoch)

    def __call__(self) -> dt.datetime:
        fiber = current_fiber()
        if fiber is None:
            return self._epoch + dt.timedelta(seconds=self._env.now)
        if self._charge is not None:
            self._charge(fiber)
        return self._epoch + dt.timedelta(seconds=self._env.now + fiber.debt)


def clock_factory_code() -> CodeType:
    """The code of the function every clock read goes through (for `chaos._sandbox`)."""
    return _FollowSimulation.__call__.__code__


class VirtualClock:
    """Context manager: SimPy drives time; wall-clock reads and sleeps follow it."""

    def __init__(
        self,
        env: simpy.Environment | None = None,
        epoch: dt.datetime = EPOCH,
        *,
        charge: ClockCharge | None = None,
    ) -> None:
        self.env = env or simpy.Environment()
        self.epoch = epoch
        self.charge = charge
        self._freezer: Any = None
        self._real_sleep: Any = None

    def __enter__(self) -> VirtualClock:
        compat.install()
        self._freezer = freeze_time(self.epoch)
        factory = self._freezer.start()
        factories = freezegun.api.freeze_factories
        if not factories or factories[-1] is not factory:
            self._freezer.stop()
            raise InternalError("freezegun's internals changed: cannot follow virtual time")
        factories[-1] = _FollowSimulation(self.env, self.epoch, self.charge)
        # freezegun inspects the call stack on every clock read while its ignore list is set
        # (costing ~10% of a moto call). Its module patching already skipped the ignored
        # modules (threading, queue...), which keep real time; the per-call check is dropped.
        freezegun.api.ignore_lists[-1] = ()
        self._real_sleep = time.sleep
        # virtual_sleep takes the same arguments; its annotation is just narrower.
        time.sleep = virtual_sleep  # type: ignore[assignment]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        time.sleep = self._real_sleep
        self._freezer.stop()

    @property
    def now(self) -> float:
        return float(self.env.now)

    def datetime(self) -> dt.datetime:
        return self.epoch + dt.timedelta(seconds=self.env.now)


def run_until(env: simpy.Environment, at: float, *, stop: Callable[[], bool]) -> bool:
    """`env.run(until=at)`, checking `stop()` after every event; False if it stopped early.

    The stop event is scheduled exactly as SimPy's own `run` schedules it (URGENT, before
    the regular events at `at`), so a run that is not stopped processes the same events in
    the same order.
    """
    until = simpy.Event(env)
    until._ok = True
    until._value = None
    env.schedule(until, simpy.events.URGENT, at - env.now)
    until.callbacks.append(simpy.core.StopSimulation.callback)
    try:
        while True:
            env.step()
            if stop():
                return False
    except simpy.core.StopSimulation:
        return True
