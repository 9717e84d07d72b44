"""One run's containment: everything that keeps handler code in its box, on and off together.

A `Containment` is entered once per run (and around `validate`'s handler imports). While it
is active: the process guards are in place (`guards`), new asyncio loops wait in virtual
time (`aio`), the watchdog watches (`watchdog`), SIGINT/SIGTERM are noted rather than raised,
clock reads in handler code are charged (`charge`), and each execution environment's
`ProcessState` follows its fibers (`state`), with their output going to the run's logs.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import simpy

from chaos._sandbox.aio import VirtualTimePolicy
from chaos._sandbox.charge import CLOCK_READ_COST, ClockCharge
from chaos._sandbox.guards import guarded
from chaos._sandbox.logs import STDERR, STDOUT, RunLogs, log_handler
from chaos._sandbox.state import ProcessState
from chaos._sandbox.watchdog import Interrupts, Watchdog
from chaos._sim.fibers import Fiber

WALL_BUDGET_VARIABLE = "CHAOS_ARENA_WALL_BUDGET"
DEFAULT_WALL_BUDGET = 2.0
"""Wall seconds a fiber may run without yielding or reading the clock."""
MAX_SPINS = 3
"""Watchdog stops after which a run ends: each would cost another wall budget, and a
handler that spins three times will spin on every invocation."""


def _wall_budget() -> float:
    text = os.environ.get(WALL_BUDGET_VARIABLE, "")
    try:
        value = float(text) if text else DEFAULT_WALL_BUDGET
    except ValueError:
        value = DEFAULT_WALL_BUDGET
    return value if value > 0 else DEFAULT_WALL_BUDGET


@dataclass(frozen=True)
class SandboxSettings:
    wall_budget: float = field(default_factory=_wall_budget)
    clock_read_cost: float = CLOCK_READ_COST
    max_spins: int = MAX_SPINS


class Containment:
    """The containment of one run (see the module docstring)."""

    def __init__(
        self,
        env: simpy.Environment,
        settings: SandboxSettings | None = None,
        *,
        on_network: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings or SandboxSettings()
        self.logs = RunLogs()
        self.stdout, self.stderr = STDOUT, STDERR
        self.log_handler = log_handler(STDERR)
        self.charge = ClockCharge(env, cost=self.settings.clock_read_cost)
        self.watchdog = Watchdog(self.settings.wall_budget, self._spun)
        self.charge.progress = self.watchdog.progress
        self.interrupts = Interrupts(self.watchdog, self._stop)
        self.stopping = False
        """Set once the run must stop (`stop_reason` says why): read after every event."""
        self.spins: list[str] = []
        """Where each fiber the watchdog stopped was spinning (`file:line`)."""
        self._on_network = on_network or _ignore
        self._policy: Any = None
        self._guards: Any = None

    @property
    def stop_reason(self) -> str:
        """Why the run must stop now ('' to go on): an interrupt, or a handler that spins."""
        if self.interrupts.signal is not None:
            return "interrupted"
        if len(self.spins) >= self.settings.max_spins:
            return "spinning"
        return ""

    def state(self, environment: Mapping[str, str]) -> ProcessState:
        """The process state of a new execution environment with these variables."""
        return ProcessState(self, environment)

    # -- called by ProcessState at every switch ---------------------------------------------

    def entered(self, fiber: Fiber) -> None:
        self.watchdog.entered(fiber)

    def left(self, fiber: Fiber) -> None:
        self.watchdog.left()

    def progress(self) -> None:
        """The running fiber did something other than spin (an AWS call, say)."""
        self.watchdog.progress()

    def _spun(self, fiber: Fiber, where: str) -> None:
        self.spins.append(where)
        if len(self.spins) >= self.settings.max_spins:
            self._stop()

    def _stop(self) -> None:
        self.stopping = True

    # -- lifetime ---------------------------------------------------------------------------

    def __enter__(self) -> Containment:
        self._guards = guarded(self._on_network)
        self._guards.__enter__()
        self._policy = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(VirtualTimePolicy())
        self.watchdog.start()
        self.interrupts.install()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.interrupts.restore()
        self.watchdog.stop()
        asyncio.set_event_loop_policy(self._policy)
        self._guards.__exit__(exc_type, exc, tb)


def _ignore(_address: str) -> None:
    pass
