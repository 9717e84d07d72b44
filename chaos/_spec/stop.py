"""`stop_when:` guards: conditions that end fault injection when they trip, as AWS FIS stop
conditions do.

FIS stops an experiment when one of its stop-condition CloudWatch alarms enters ALARM; the
actions end and the targets are left to recover (FIS user guide, "Stop conditions for AWS
FIS", https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html). Here each guard
is a condition on what the run has seen so far, checked in virtual time; the engine
(`chaos._engine.guards`) evaluates them. The traffic goes on after a trip, as real traffic
would: only the faults end.
"""

from __future__ import annotations

from pydantic import Field

from chaos._spec.base import SpecModel
from chaos._spec.types import Fraction, Integer, PositiveDuration

GUARD_PERIOD = 1.0
"""Seconds of virtual time between two evaluations of the guards (a CloudWatch alarm's
shortest period is 10 s; one second here so short experiments are guarded too)."""


class SuccessRateGuard(SpecModel):
    """Trips when the share of 2xx among the client's responses over the last `over`
    falls below `below`."""

    below: Fraction
    """Trips when the share of 2xx responses is under this."""
    over: PositiveDuration = 60.0
    """The sliding window the share is taken over; evaluated once the run is this old."""


class DepthGuard(SpecModel):
    """Trips when a queue holds more than `above` messages."""

    above: Integer = Field(ge=0)
    """Trips when the depth exceeds this many messages."""


class StopWhen(SpecModel):
    """Guards that end fault injection when one trips; the first to trip wins."""

    client_success_rate: SuccessRateGuard | None = None
    """Share of the client's responses (each attempt) that were 2xx, over a sliding window."""
    dlq_depth: DepthGuard | None = None
    """Messages in the dead-letter queue (ApproximateNumberOfMessagesVisible of the DLQ)."""
    queue_depth: DepthGuard | None = None
    """Messages in the source queue, visible or in flight (ApproximateNumberOfMessagesVisible
    plus ApproximateNumberOfMessagesNotVisible): a throttled consumer's pollers hold the
    backlog in flight, so visible messages alone stay low."""

    def guards(self) -> list[str]:
        """The names of the guards that are set, in declaration order."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]


__all__ = ["GUARD_PERIOD", "DepthGuard", "StopWhen", "SuccessRateGuard"]
