"""The resilience score: Krkn's weights (critical 3, others 1) over graded assertions.

Source: Krkn's resiliency score (krkn-chaos/website `content/en/docs/krkn/resiliency-score.md`,
`krkn/resiliency/score.py`; ../shared/reference/round2-tools-and-scores.md section 3.3):
score = (total - lost) / total x 100 with total the weighted count of SLOs. Here an SLO that
partly held loses only the part that did not.
"""

from __future__ import annotations

import pytest

from chaos._checks.registry import assertion_types
from chaos._checks.score import aggregate, run_score
from chaos._checks.verdict import AssertionResult, Status, Verdict
from tests.checks.ledgers import History
from tests.checks.test_builtin import check, story


def result(status: Status, *, degree: float | None = None, weight: int = 1) -> AssertionResult:
    return AssertionResult("a", status, "", degree=degree, weight=weight)


def test_the_worked_example_of_the_readme() -> None:
    """no_loss passed (3 x 1), success_rate held to 51.4/99 (1 x 0.519), dlq skipped:
    100 x (3 + 0.519) / 4 = 88.0."""
    results = [
        result(Status.PASSED, weight=3),
        result(Status.FAILED, degree=0.514 / 0.99, weight=1),
        result(Status.SKIPPED, weight=3),
    ]
    assert run_score(Verdict.FAILED, results) == pytest.approx(100 * (3 + 0.514 / 0.99) / 4)
    assert round(run_score(Verdict.FAILED, results) or 0) == 88


def test_an_ungraded_failure_counts_zero_and_a_pass_one() -> None:
    results = [result(Status.PASSED, weight=3), result(Status.FAILED, weight=1)]
    assert run_score(Verdict.FAILED, results) == pytest.approx(75.0)


def test_runs_that_tested_nothing_have_no_score() -> None:
    """Inconclusive and error runs are left out, never counted as a pass (or a zero)."""
    passed = [result(Status.PASSED)]
    assert run_score(Verdict.INCONCLUSIVE, passed) is None
    assert run_score(Verdict.ERROR, []) is None
    assert run_score(Verdict.FAILED, [result(Status.INCONCLUSIVE)]) == 0.0
    total = aggregate([100.0, None, 50.0, None])
    assert (total.score, total.scored, total.unscored) == (75.0, 2, 2)


def test_critical_guarantees_weigh_three() -> None:
    critical = {name for name, a in assertion_types() if a.critical}
    assert critical == {"no_loss", "eventual_completion", "dlq", "no_duplicate_effects"}


def test_degrees_say_how_far_a_guarantee_held() -> None:
    """no_loss over 4 acknowledged requests, 1 lost: degree 0.75; no_duplicate_effects with
    1 of 2 completed applied twice: 0.5; success_rate 50% against 80%: 0.625."""
    lost = History((story("r1"), story("r2"), story("r3"), story("r4", effects=0)))
    assert check("no_loss", lost).graded == pytest.approx(0.75)
    doubled = History((story("r1", effects=2), story("r2")))
    assert check("no_duplicate_effects", doubled).graded == pytest.approx(0.5)
    half = History((story("r1"), story("r2", statuses=(500,), effects=0)))
    assert check("success_rate: 80%", half).graded == pytest.approx(0.5 / 0.8)
    assert check("no_loss", History((story("r1"),))).graded == 1.0
