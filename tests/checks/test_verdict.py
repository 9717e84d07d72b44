"""Verdicts: failed beats inconclusive beats survived (Jepsen's merge), and a run without
evidence is inconclusive, never a pass. Sources: issue 4 "Verdicts"; DESIGN.md section 7 ("An
experiment whose faults never overlapped traffic is inconclusive, never a pass");
../shared/reference/delivery-checks-and-pytest.md 1.2 (merge-valid, vacuous runs).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from chaos._checks.verdict import AssertionResult, Status, Verdict, decide
from chaos._engine.runner import run_one
from chaos._spec.loader import LoadedExperiment
from tests.support import experiment, judged, reference, run_yaml


def result(status: Status) -> AssertionResult:
    return AssertionResult("a", status, status.value)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(Status)), max_size=6), st.booleans(), st.booleans())
def test_the_verdict_merges_failed_over_inconclusive_over_survived(
    statuses: list[Status], overlap: bool, has_faults: bool
) -> None:
    """failed if any assertion failed; otherwise inconclusive if faults never met traffic, if
    any assertion was inconclusive, or if none passed; survived only with positive evidence."""
    verdict = decide([result(s) for s in statuses], overlap=overlap, has_faults=has_faults)
    if Status.FAILED in statuses:
        assert verdict.verdict is Verdict.FAILED
    elif (
        (has_faults and not overlap)
        or Status.INCONCLUSIVE in statuses
        or Status.PASSED not in statuses
    ):
        assert verdict.verdict is Verdict.INCONCLUSIVE
    else:
        assert verdict.verdict is Verdict.SURVIVED
    assert len(verdict.results) == len(statuses)


def test_no_traffic_during_the_fault_window_is_inconclusive_not_a_pass() -> None:
    """All assertions hold, but the only fault started after the traffic had ended: nothing
    was tested, so the verdict is inconclusive. Source: issue 4 "no traffic overlapped a fault
    window"; DESIGN.md section 7."""
    outcome = run_yaml(
        """
        experiment: missed
        duration: 3m
        workload: {steady: {rate: 2/s, for: 30s}}
        faults: [{lambda.error: {probability: 100%, at: 2m, for: 30s}}]
        assertions: [no_loss]
    """,
        reference("sync"),
    )
    _, verdict = judged(outcome)
    assert [r.status for r in verdict.results] == [Status.PASSED]
    assert verdict.verdict is Verdict.INCONCLUSIVE
    assert "no traffic overlapped a fault window" in verdict.reason


def test_an_inconclusive_run_is_not_as_expected_when_survival_was_expected() -> None:
    """An experiment expecting `survives` that comes out inconclusive does not count as
    passing. Source: issue 4 "An inconclusive run never counts as a pass"."""
    text = """
        experiment: nothing-accepted
        duration: 1m
        workload: {steady: {rate: 1/s, for: 5s}}
        faults: [{lambda.throttle: {concurrency: 0}}]
        assertions: [no_loss]
        expect: {sync: survives}
    """
    outcome = run_one(
        LoadedExperiment(experiment(text), Path("t.chaos.yaml"), 1), reference("sync")
    )
    assert outcome.verdict is Verdict.INCONCLUSIVE  # nothing was accepted
    assert not outcome.as_expected


def test_a_run_with_faults_that_met_traffic_can_survive() -> None:
    """The counterpart: a fault window that traffic crossed, all assertions held -> survived.
    Source: issue 4 "Verdicts"."""
    outcome = run_yaml(
        """
        experiment: crossed
        duration: 2m
        workload: {steady: {rate: 2/s, for: 30s}}
        faults: [{lambda.latency: {delay: 100ms, at: 5s, for: 10s}}]
        assertions: [no_loss]
    """,
        reference("sync"),
    )
    _, verdict = judged(outcome)
    assert verdict.verdict is Verdict.SURVIVED
