"""Scheduled faults: which are active at a virtual instant, and with what intensity.

Each scheduled fault gets its own seeded random stream, so adding a fault to an experiment
does not change the draws of the others.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from chaos._faults.base import Fault
from chaos._spec.faults import FaultParams, TargetKind, target_names
from chaos._spec.system import SystemDefinition

F = TypeVar("F", bound=Fault)


@dataclass
class ScheduledFault:
    """One fault of an experiment, placed in time."""

    index: int
    fault: Fault
    params: FaultParams
    start: float
    end: float
    draw: random.Random = field(repr=False)
    planned_end: float = -1.0
    """The end the experiment gave (`end` moves earlier when a stop condition trips; a
    ramp keeps its steps)."""

    def __post_init__(self) -> None:
        if self.planned_end < 0:
            self.planned_end = self.end

    def active(self, now: float) -> bool:
        return self.start <= now < self.end

    def cut(self, now: float) -> None:
        """End the fault at `now` (a stop condition tripped); one not started never will."""
        self.end = max(self.start, min(self.end, now))

    def intensity(self, now: float) -> float:
        """1.0, or the current step of the ramp: `start` rising to 1.0 in equal steps."""
        ramp = self.params.ramp
        if ramp is None:
            return 1.0
        step_length = (self.planned_end - self.start) / ramp.steps
        step = min(int((now - self.start) / step_length), ramp.steps - 1)
        return ramp.start + (1.0 - ramp.start) * step / (ramp.steps - 1)

    def applies_to(self, target: str | None) -> bool:
        return self.params.target is None or target is None or self.params.target == target


class FaultSchedule:
    """The faults of one run, queried by injection point (fault base class) and target."""

    def __init__(self, faults: Sequence[ScheduledFault]) -> None:
        self.faults = list(faults)
        self._of_kind: dict[type[Fault], list[ScheduledFault]] = {}

    def active(
        self, kind: type[F], now: float, target: str | None = None
    ) -> Iterator[tuple[ScheduledFault, F]]:
        for scheduled in self.of_kind(kind):
            if scheduled.active(now) and scheduled.applies_to(target):
                yield scheduled, scheduled.fault  # type: ignore[misc]  # of_kind(kind): an F

    def of_kind(self, kind: type[Fault]) -> list[ScheduledFault]:
        """The faults of this kind (asked on every AWS call and invocation: kept, not made)."""
        found = self._of_kind.get(kind)
        if found is None:
            found = self._of_kind[kind] = [s for s in self.faults if isinstance(s.fault, kind)]
        return found

    def __bool__(self) -> bool:
        return bool(self.faults)


def applies(fault: Fault, params: FaultParams, system: SystemDefinition) -> bool:
    """Can this fault act on this system at all? (A queue fault on a system without a queue
    cannot, nor can a fault whose target the system does not have.)"""
    names = target_names(fault.target_kind, system)
    if names is None:
        return True
    if fault.target_kind is TargetKind.QUEUE and not names:
        return False
    return params.target is None or params.target in names
