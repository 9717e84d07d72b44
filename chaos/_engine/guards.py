"""Evaluate an experiment's `stop_when:` guards in virtual time, and end fault injection
when one trips.

AWS FIS watches its stop-condition alarms while an experiment runs and stops the actions
when one enters ALARM; the workload (real traffic) goes on (FIS user guide, "Stop conditions
for AWS FIS", https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html). Here a
SimPy process wakes every `GUARD_PERIOD` of virtual time, reads the ledger records appended
since its last look (so a check costs what happened since, not the whole history) and the
queues' depths, and on the first guard that trips records `StopTripped` and cuts every
scheduled fault at that instant. A run whose experiment has no `stop_when` starts no such
process: its events, and ledger, are exactly as before.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import simpy

from chaos._faults.schedule import FaultSchedule
from chaos._ledger import FaultWindow, Ledger, Responded, StopTripped
from chaos._spec.stop import GUARD_PERIOD, DepthGuard, StopWhen, SuccessRateGuard
from chaos._spec.units import format_duration

Depth = Callable[[], int]
"""A queue's depth right now (0 for a system without that queue)."""


class SuccessRateWindow:
    """The client's responses over a sliding window of virtual time, fed from the ledger."""

    def __init__(self, guard: SuccessRateGuard) -> None:
        self.guard = guard
        self._responses: deque[tuple[float, bool]] = deque()
        self._ok = 0

    def add(self, response: Responded) -> None:
        ok = 200 <= response.status < 300
        self._responses.append((response.t, ok))
        self._ok += ok

    def tripped(self, now: float) -> str | None:
        """The sentence of a trip, or None. Not before the run is `over` old (the first
        window must be full) nor on a window without responses (an alarm with no data
        stays in INSUFFICIENT_DATA, which does not stop FIS)."""
        over = self.guard.over
        responses = self._responses
        while responses and responses[0][0] <= now - over:
            self._ok -= responses.popleft()[1]
        if now < over or not responses:
            return None
        share = self._ok / len(responses)
        if share >= self.guard.below:
            return None
        return (
            f"{share:.1%} of {len(responses)} client responses were 2xx over the last "
            f"{format_duration(over)} (below {self.guard.below:.0%})"
        )


def _depth_tripped(guard: DepthGuard, depth: int, what: str) -> str | None:
    if depth <= guard.above:
        return None
    return f"{depth} messages in the {what} (above {guard.above})"


class StopGuards:
    """The guards of one run; `process` is the SimPy process that evaluates them."""

    def __init__(
        self,
        stop_when: StopWhen,
        env: simpy.Environment,
        ledger: Ledger,
        faults: FaultSchedule,
        *,
        dlq_depth: Depth,
        queue_depth: Depth,
    ) -> None:
        self.stop_when = stop_when
        self.env = env
        self.ledger = ledger
        self.faults = faults
        self.dlq_depth = dlq_depth
        self.queue_depth = queue_depth
        self.rate = (
            SuccessRateWindow(stop_when.client_success_rate)
            if stop_when.client_success_rate is not None
            else None
        )
        self._read = 0
        self.tripped: StopTripped | None = None

    def process(self) -> Generator[simpy.Event, Any, None]:
        while self.tripped is None:
            yield self.env.timeout(GUARD_PERIOD)
            self._check()

    def _check(self) -> None:
        now = self.env.now
        self._feed()
        for condition, detail in self._evaluations(now):
            if detail is not None:
                self._trip(now, condition, detail)
                return

    def _feed(self) -> None:
        if self.rate is None:
            return
        responses = self.ledger.of_since(Responded, self._read)
        self._read += len(responses)
        for record in responses:
            self.rate.add(record)

    def _evaluations(self, now: float) -> Generator[tuple[str, str | None], None, None]:
        """(guard, trip sentence or None), in `stop_when`'s declaration order."""
        stop = self.stop_when
        if self.rate is not None:
            yield "client_success_rate", self.rate.tripped(now)
        if stop.dlq_depth is not None:
            yield "dlq_depth", _depth_tripped(stop.dlq_depth, self.dlq_depth(), "DLQ")
        if stop.queue_depth is not None:
            yield "queue_depth", _depth_tripped(stop.queue_depth, self.queue_depth(), "queue")

    def _trip(self, now: float, condition: str, detail: str) -> None:
        self.tripped = StopTripped(now, condition, detail)
        self.ledger.append(self.tripped)
        for scheduled in self.faults.faults:
            if scheduled.active(now):
                self.ledger.append(
                    FaultWindow(
                        now,
                        scheduled.index,
                        scheduled.fault.name,
                        scheduled.params.target or "",
                        "end",
                    )
                )
            scheduled.cut(now)


__all__ = ["StopGuards", "SuccessRateWindow"]
