"""What an assertion is: a name, a typed parameters model, and a check over the evidence.

Checks are pure functions of the evidence (ledger, final state, accounting); they never
touch moto or the clock.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from chaos._spec.base import SpecModel

if TYPE_CHECKING:
    from chaos._checks.evidence import Evidence
    from chaos._checks.verdict import AssertionResult


class NoParams(SpecModel):
    """This assertion takes no parameters."""


class Assertion(ABC):
    name: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[SpecModel]] = NoParams
    shorthand: ClassVar[str | None] = None
    """The parameter a scalar fills: `dlq: only_poison` means `dlq: {mode: only_poison}`."""
    critical: ClassVar[bool] = False
    """A critical guarantee (no loss, no duplicate) weighs 3 in the resilience score, any
    other 1 (Krkn's severity weights)."""

    @abstractmethod
    def check(self, params: SpecModel, evidence: Evidence) -> AssertionResult:
        """Passed, failed (with a finding) or inconclusive (no evidence either way); a
        failed result may say its `degree` (how far the guarantee held, 0 to 1)."""
