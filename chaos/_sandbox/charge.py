"""Clock reads cost virtual time, so code that polls the clock terminates.

Virtual time moves only when handler code yields, so `while time.time() < deadline: pass`
would never see the deadline. Each clock read the handler's own code makes (not the SDK's,
moto's or chaos-arena's: see `code`) adds `CLOCK_READ_COST` to its fiber's debt, which the
fiber's clock already shows and its driver waits off at the next yield (no SimPy event per
read). A read that takes the fiber to its deadline ends it there, deterministically: the
loop above stops after (deadline - now) / cost reads on any machine.
"""

from __future__ import annotations

import sys

import simpy

from chaos._sandbox.code import ENTRY_CODES, interruptible, is_handler_frame, location
from chaos._sim.clock import clock_factory_code
from chaos._sim.fibers import Fiber, preempt

CLOCK_READ_COST = 0.0001
"""Virtual seconds a clock read in handler code costs (100 us). Large enough that a poll loop
over a 15-minute Lambda timeout ends after 9 million reads; small against a handler's own
modelled compute (tens of milliseconds), so a few reads per invocation change little."""

_FREEZEGUN = "freezegun"


class ClockCharge:
    """Charges clock reads made by handler code in a fiber (the `VirtualClock` hook)."""

    def __init__(self, env: simpy.Environment, *, cost: float = CLOCK_READ_COST) -> None:
        self.env = env
        self.cost = cost
        self.progress = _nothing

    def __call__(self, fiber: Fiber) -> None:
        # Frames: this call, the time factory, then freezegun's own, then whoever read.
        frame = sys._getframe(2)
        while frame is not None and frame.f_globals.get("__name__", "").startswith(_FREEZEGUN):
            frame = frame.f_back  # type: ignore[assignment]
        if frame is None or not is_handler_frame(frame) or fiber.killed:
            return
        fiber.debt += self.cost
        self.progress()
        if self.env.now + fiber.debt >= fiber.deadline and interruptible(frame):
            preempt(fiber, "deadline", "", location(frame))


def _nothing() -> None:
    pass


ENTRY_CODES.update((ClockCharge.__call__.__code__, clock_factory_code()))
