"""What every fault's parameters are (window, target, ramp) and what a target may name.

Fault types (`chaos._faults`) subclass these parameter models; the experiment model and its
cross-key rules only need what is here, so the spec depends on no fault type.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from chaos._spec.base import SpecModel
from chaos._spec.system import SystemDefinition
from chaos._spec.types import Duration, Fraction, Integer, PositiveDuration


class TargetKind(StrEnum):
    """What a fault's `target` names."""

    FUNCTION = "function"
    TABLE = "table"
    QUEUE = "queue"
    API = "api"


class Ramp(SpecModel):
    """Intensity rising step by step over the window, as AWS FIS scenarios do."""

    steps: Integer = Field(ge=2, le=100)
    """Number of equal sub-windows; intensity goes from `start` to 100% across them."""
    start: Fraction = 0.0
    """Intensity of the first step, as a fraction of the fault's full intensity."""


class FaultParams(SpecModel):
    """Parameters every fault has: its window and, optionally, its target and ramp."""

    at: Duration = 0.0
    """When the fault starts, from the beginning of the experiment."""
    duration: PositiveDuration | None = Field(None, alias="for")
    """How long it lasts; omitted means until the experiment ends."""
    target: str | None = None
    """Which function, table or queue (by its name in the system definition); omitted means
    every one of its kind."""
    ramp: Ramp | None = None


class ProbabilityParams(FaultParams):
    probability: Fraction = 1.0
    """Share of the occurrences the fault hits."""


def target_names(kind: TargetKind, system: SystemDefinition) -> list[str] | None:
    """What a fault of this kind may target in the system; None when its kind has no names
    (an API-wide fault)."""
    match kind:
        case TargetKind.FUNCTION:
            return list(system.functions)
        case TargetKind.TABLE:
            return list(system.tables)
        case TargetKind.QUEUE:
            queue = system.queue
            if queue is None:
                return []
            dead_letter = queue.dead_letter
            return [queue.name, *([dead_letter.name] if dead_letter is not None else [])]
    return None
