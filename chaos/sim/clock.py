"""Virtual time: a SimPy environment that freezegun's clock follows, and a virtual sleep.

While a `VirtualClock` is running, `time.time()`, `datetime.now()` and moto's timestamps
read `epoch + env.now`, and `time.sleep` waits in virtual time (see `fibers`). Nothing here
knows about AWS.
"""

from __future__ import annotations

import datetime as dt
import time
from types import TracebackType
from typing import Any

import freezegun.api
import simpy
from freezegun import freeze_time

from chaos.errors import InternalError
from chaos.sim import compat
from chaos.sim.fibers import virtual_sleep

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
"""Virtual time zero. Fixed, so timestamps in handlers and moto are reproducible."""

_REAL_PERF_COUNTER = [time.perf_counter]
"""Kept in a list: freezegun replaces module attributes that hold the real function."""


def wall_clock() -> float:
    """Real elapsed-time counter, unaffected by a running virtual clock."""
    return _REAL_PERF_COUNTER[0]()


class _FollowSimulation(freezegun.api.FrozenDateTimeFactory):
    """A freezegun time factory that reads the simulation's clock whenever asked."""

    def __init__(self, env: simpy.Environment, epoch: dt.datetime) -> None:
        self._env = env
        self._epoch = epoch.replace(tzinfo=None)
        super().__init__(self._epoch)

    def __call__(self) -> dt.datetime:
        return self._epoch + dt.timedelta(seconds=self._env.now)


class VirtualClock:
    """Context manager: SimPy drives time; wall-clock reads and sleeps follow it."""

    def __init__(self, env: simpy.Environment | None = None, epoch: dt.datetime = EPOCH) -> None:
        self.env = env or simpy.Environment()
        self.epoch = epoch
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
        factories[-1] = _FollowSimulation(self.env, self.epoch)
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
