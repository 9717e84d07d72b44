"""Outcomes: per assertion passed / failed / inconclusive / skipped, per run a verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from chaos._spec.experiment import Expectation


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"
    """No evidence either way: never counted as a pass."""
    SKIPPED = "skipped"
    """Does not apply to this system (a DLQ check on a system without a queue)."""


class Verdict(StrEnum):
    SURVIVED = "survived"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"


EXPECTED_VERDICT = {
    Expectation.SURVIVES: Verdict.SURVIVED,
    Expectation.FAILS: Verdict.FAILED,
    Expectation.INCONCLUSIVE: Verdict.INCONCLUSIVE,
}


@dataclass(frozen=True)
class RequestStory:
    """One request's story, for a finding: its id and one line per step."""

    request_id: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    """A failed assertion explained like a bug report."""

    title: str
    causes: tuple[tuple[str, int], ...] = ()
    """(cause, number of requests), most frequent first."""
    stories: tuple[RequestStory, ...] = ()
    """Up to 10 of the failed requests, each with its history."""
    active_faults: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    """Lines shown under the title as they are (a handler's traceback, say)."""

    def render(self, *, reproduce: str = "") -> str:
        """The finding as a bug report; `reproduce` is the command that reruns it (the run
        computes it once: `Outcome.reproduce`)."""
        lines = [self.title]
        lines.extend(f"  {line}" for line in self.details)
        if self.causes:
            lines.append("  by cause:")
            lines.extend(f"    {count:>6,}  {cause}" for cause, count in self.causes)
        if self.active_faults:
            lines.append(f"  faults in this experiment: {', '.join(self.active_faults)}")
        for story in self.stories:
            lines.append(f"  request {story.request_id}:")
            lines.extend(f"    {line}" for line in story.lines)
        if reproduce:
            lines.append(f"  reproduce: {reproduce}")
        return "\n".join(lines)


@dataclass(frozen=True)
class AssertionResult:
    name: str
    status: Status
    detail: str
    """One line: the measured figure against the bound."""
    finding: Finding | None = None
    degree: float | None = None
    """How far the guarantee held, from 0 (not at all) to 1 (fully): a failed no_loss that
    lost 10 of 1,000 requests held to 0.99. None: 1 if passed, 0 if failed."""
    weight: int = 1
    """Its weight in the resilience score: 3 for a critical guarantee, else 1 (set by the
    judge from the assertion's `critical`)."""

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def graded(self) -> float | None:
        """Its degree for the score; None when it is not graded (inconclusive, skipped)."""
        if self.status not in (Status.PASSED, Status.FAILED):
            return None
        if self.degree is not None:
            return min(1.0, max(0.0, self.degree))
        return 1.0 if self.passed else 0.0


@dataclass(frozen=True)
class RunVerdict:
    verdict: Verdict
    reason: str
    """One line a report can print next to the verdict."""
    results: tuple[AssertionResult, ...] = field(default_factory=tuple)
    findings: tuple[Finding, ...] = ()
    """Findings about the run as a whole (what the handler did), before the assertions'."""


def decide(
    results: Sequence[AssertionResult], *, overlap: bool, has_faults: bool, applicable: bool = True
) -> RunVerdict:
    """Failed beats inconclusive beats survived (Jepsen's merge); no evidence is no pass."""
    results = tuple(results)
    failed = [r for r in results if r.status is Status.FAILED]
    if failed:
        return RunVerdict(Verdict.FAILED, "; ".join(r.detail for r in failed), results)
    if has_faults and not applicable:
        return RunVerdict(
            Verdict.INCONCLUSIVE,
            "none of the experiment's faults can act on this system: nothing was tested",
            results,
        )
    if has_faults and not overlap:
        return RunVerdict(
            Verdict.INCONCLUSIVE,
            "no traffic overlapped a fault window: nothing was tested",
            results,
        )
    unknown = [r for r in results if r.status is Status.INCONCLUSIVE]
    if unknown:
        return RunVerdict(Verdict.INCONCLUSIVE, "; ".join(r.detail for r in unknown), results)
    if not any(r.status is Status.PASSED for r in results):
        return RunVerdict(Verdict.INCONCLUSIVE, "no assertion applied to this system", results)
    return RunVerdict(
        Verdict.SURVIVED, f"all {sum(r.passed for r in results)} assertions held", results
    )
