"""The virtual clock: while it runs, wall-clock reads follow SimPy's time and sleeps inside
fibers wait in virtual time (DESIGN.md section 4, "Virtual time on a real discrete-event
engine"; ARCHITECTURE.md "freezegun follows SimPy")."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
import simpy

from chaos._sim import EPOCH, FiberPool, VirtualClock, drive, wall_clock


def test_time_and_datetime_read_epoch_plus_simulated_time() -> None:
    env = simpy.Environment()
    seen: list[tuple[float, dt.datetime, dt.datetime]] = []

    def observe() -> Any:
        yield env.timeout(90.5)
        seen.append((time.time(), dt.datetime.now(dt.UTC), dt.datetime.utcnow()))

    with VirtualClock(env):
        env.process(observe())
        env.run()
    ((now, aware, naive),) = seen
    assert now == pytest.approx(EPOCH.timestamp() + 90.5)
    assert aware == EPOCH + dt.timedelta(seconds=90.5)
    assert naive == (EPOCH + dt.timedelta(seconds=90.5)).replace(tzinfo=None)


def test_sleep_in_a_fiber_advances_virtual_time_and_never_sleeps_for_real(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_sleeps: list[float] = []

    def real_sleep(seconds: float) -> None:
        real_sleeps.append(seconds)

    monkeypatch.setattr(time, "sleep", real_sleep)  # what the clock saves as the real sleep
    env = simpy.Environment()
    seen: list[float] = []

    def handler() -> str:
        seen.append(time.time())
        time.sleep(600)  # a 10-minute wait inside handler code
        seen.append(time.time())
        return "done"

    with VirtualClock(env):
        process = env.process(drive(env, handler, (), context=None, deadline=1e9, pool=FiberPool()))
        env.run()
    assert process.value.value == "done"
    assert seen[1] - seen[0] == pytest.approx(600)
    assert env.now == pytest.approx(600)
    assert real_sleeps == []
    assert time.sleep is real_sleep, "the clock restores time.sleep on exit"


def test_sleep_outside_a_fiber_returns_at_once() -> None:
    env = simpy.Environment()
    with VirtualClock(env):
        time.sleep(3600)  # engine code: no process to wait in
    assert env.now == 0


def test_wall_clock_is_not_frozen() -> None:
    env = simpy.Environment()
    with VirtualClock(env):
        first = wall_clock()
        sum(range(10_000))
        assert wall_clock() > first
