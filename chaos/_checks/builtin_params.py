"""Parameter models of the built-in assertions (the YAML vocabulary of `assertions:`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from chaos._spec.base import SpecModel
from chaos._spec.types import Duration, Fraction, PositiveDuration


class EventualCompletionParams(SpecModel):
    within: PositiveDuration
    """Every accepted request completes within this long."""
    after: Literal["acceptance", "last_fault"] = "acceptance"
    """Count from each request's acceptance, or from the end of the last fault window."""


class DlqParams(SpecModel):
    mode: Literal["only_poison", "all_poison", "exact"]
    """only_poison: nothing healthy is dead-lettered; all_poison: every poison message is;
    exact: both."""


class SuccessRateParams(SpecModel):
    min: Fraction
    """Lowest share of requests whose client saw a 2xx, over every request sent."""


class LatencyParams(SpecModel):
    of: Literal["acceptance", "completion"] = "completion"
    """acceptance: until the client got its 2xx; completion: until the effect committed."""
    p50: Duration | None = None
    p95: Duration | None = None
    p99: Duration | None = None
    max: Duration | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> LatencyParams:
        if self.p50 is None and self.p95 is None and self.p99 is None and self.max is None:
            raise ValueError("give at least one bound: p50, p95, p99 or max")
        return self


class NotifiedParams(SpecModel):
    min: Fraction = 1.0
    """Lowest share of completed requests whose user received the notification."""


class DbProtectedParams(SpecModel):
    max_throttles: int = Field(0, ge=0)
    """Most DynamoDB throttling errors the handlers may see."""


class NoDuplicateEffectsParams(SpecModel):
    count: Literal["effects", "executions"] = "effects"
    """effects: each request's effect is in the final state at most once (an idempotent
    overwrite passes); executions: besides, no healthy request was executed more than once,
    that is, written for by more than one invocation (a side effect run twice fails)."""
