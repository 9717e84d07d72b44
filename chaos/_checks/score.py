"""The resilience score: 0-100 from a run's graded assertions, with published weights.

Krkn's resiliency score weighs each SLO by severity (critical 3, warning 1) and scores
(total - lost) / total (krkn-chaos/website `resiliency-score.md`, `krkn/resiliency/score.py`).
Here each assertion is an SLO: critical guarantees (no loss, eventual completion, no
duplicate effects, healthy messages kept out of the DLQ) weigh 3, the others (client
success, latency, notification, database protection) 1; and an assertion counts for how far
it held (its degree, 0 to 1), not only whether it passed:

    score = 100 x sum(weight x degree) / sum(weight)

over the assertions that passed or failed. An inconclusive or error run has no score (it
tested nothing): aggregates leave it out and count it apart. A failed run without a graded
assertion (its handler never worked) scores 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chaos._checks.verdict import AssertionResult, Verdict

CRITICAL_WEIGHT = 3
OTHER_WEIGHT = 1


def run_score(verdict: Verdict | str, results: Sequence[AssertionResult]) -> float | None:
    """The run's score, 0 to 100; None for a run that tested nothing."""
    if Verdict(verdict) in (Verdict.INCONCLUSIVE, Verdict.ERROR):
        return None
    graded = [(r.weight, g) for r in results if (g := r.graded) is not None]
    weights = sum(weight for weight, _ in graded)
    if not weights:
        return 0.0 if Verdict(verdict) is Verdict.FAILED else None
    return 100 * sum(weight * degree for weight, degree in graded) / weights


@dataclass(frozen=True)
class SystemScore:
    """One system's score over many runs: the mean of its runs' scores."""

    score: float | None
    scored: int
    """Runs that have a score."""
    unscored: int
    """Inconclusive and error runs, left out."""


def aggregate(scores: Iterable[float | None]) -> SystemScore:
    values = list(scores)
    present = [v for v in values if v is not None]
    mean = sum(present) / len(present) if present else None
    return SystemScore(mean, len(present), len(values) - len(present))
