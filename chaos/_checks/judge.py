"""Judge a run: evaluate the experiment's assertions and decide the verdict."""

from __future__ import annotations

from dataclasses import replace

from chaos._checks.evidence import Evidence
from chaos._checks.handler import never_succeeded, troubles
from chaos._checks.registry import assertion_types
from chaos._checks.score import CRITICAL_WEIGHT, OTHER_WEIGHT
from chaos._checks.verdict import AssertionResult, RunVerdict, Verdict, decide
from chaos._result import RunResult
from chaos._spec.experiment import AssertionEntry, assertion_entries

TIMED_OUT = "Sandbox.Timedout"

DEFAULT_ASSERTIONS = ("no_loss", "no_duplicate_effects")
"""What an experiment without `assertions:` checks."""


def judge(result: RunResult) -> tuple[Evidence, RunVerdict]:
    evidence = Evidence.of(result)
    results = [evaluate(entry, evidence) for entry in _entries(result)]
    verdict = decide(
        results,
        overlap=evidence.traffic_overlapped_faults,
        has_faults=bool(result.experiment.faults),
        applicable=bool(evidence.applicable_faults),
    )
    return evidence, name_the_handler(verdict, result)


def name_the_handler(verdict: RunVerdict, result: RunResult) -> RunVerdict:
    """Say what the handler did, where its failures decided the run.

    A run stopped for a spinning handler is an `error` (nothing could be judged). A run whose
    handler failed on its own (raised, exited, answered what its caller cannot use, spun)
    fails, naming that, when the handler never succeeded or the run would otherwise be
    inconclusive: its failures, not the faults, are why nothing was accepted. When the
    assertions failed anyway, the handler's failures follow their reason. A system that
    survived its handler's occasional failures (the queue retried them) still survived.
    """
    found = troubles(result)
    findings = tuple(t.finding() for t in found[:2])
    if result.stopped:
        reason = f"the handler spun: chaos-arena {result.stopped}"
        return replace(verdict, verdict=Verdict.ERROR, reason=reason, findings=findings)
    if not found:
        return verdict
    named = "; ".join(t.sentence() for t in found[:2])
    if verdict.verdict is Verdict.INCONCLUSIVE or never_succeeded(result, found[0].function):
        return replace(verdict, verdict=Verdict.FAILED, reason=named, findings=findings)
    own = [t for t in found if t.failure.error_type != TIMED_OUT and not t.failure.relayed][:2]
    if verdict.verdict is Verdict.FAILED and own:
        # Timeouts and AWS errors the SDK relayed are left to the findings' causes: a slow
        # dependency, a fault, a throttle explains them, not the handler's code.
        reason = "; ".join(t.sentence() for t in own)
        return replace(verdict, reason=f"{verdict.reason}; {reason}", findings=findings)
    return replace(verdict, findings=findings)


def evaluate(entry: AssertionEntry, evidence: Evidence) -> AssertionResult:
    assertion = assertion_types().get(entry.assertion_type)
    result = assertion.check(entry.params, evidence)
    return replace(result, weight=CRITICAL_WEIGHT if assertion.critical else OTHER_WEIGHT)


def _entries(result: RunResult) -> list[AssertionEntry]:
    if result.experiment.assertions:
        return list(result.experiment.assertions)
    return list(assertion_entries(assertion_types(), DEFAULT_ASSERTIONS))
