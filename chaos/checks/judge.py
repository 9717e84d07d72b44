"""Judge a run: evaluate the experiment's assertions and decide the verdict."""

from __future__ import annotations

from chaos.checks.evidence import Evidence
from chaos.checks.registry import assertion_types
from chaos.checks.verdict import AssertionResult, RunVerdict, decide
from chaos.result import RunResult
from chaos.spec.experiment import AssertionEntry, assertion_entries

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
    return evidence, verdict


def evaluate(entry: AssertionEntry, evidence: Evidence) -> AssertionResult:
    assertion = assertion_types().get(entry.assertion_type)
    return assertion.check(entry.params, evidence)


def _entries(result: RunResult) -> list[AssertionEntry]:
    if result.experiment.assertions:
        return list(result.experiment.assertions)
    return list(assertion_entries(assertion_types(), DEFAULT_ASSERTIONS))
