"""A short plain-text summary of outcomes, for `chaos-arena run` and logs."""

from __future__ import annotations

from collections.abc import Iterable

from chaos.engine.runner import Outcome

COUNT_LABELS = (
    ("sent", "sent"), ("accepted", "accepted"), ("completed", "completed"), ("lost", "lost"),
    ("dead_lettered", "dlq"), ("duplicated", "dup"), ("pending", "pending"),
    ("expired", "expired"),
)


def outcome_line(outcome: Outcome) -> str:
    verdict = outcome.verdict.verdict.value
    mark = "ok" if outcome.as_expected else f"UNEXPECTED (expected {outcome.expected.value})"
    head = f"  {outcome.system:<8} {verdict:<12} {mark}"
    if outcome.evidence is None or outcome.result is None:
        return head
    counts = outcome.evidence.accounting.counts()
    figures = "  ".join(f"{label} {counts[key]:,}" for key, label in COUNT_LABELS)
    timing = f"{outcome.result.simulated_seconds:,.0f}s simulated in " \
             f"{outcome.result.wall_seconds:.1f}s"
    return f"{head}  {figures}  ({timing})"


def summary_lines(outcomes: Iterable[Outcome], *, findings: bool = True) -> list[str]:
    lines: list[str] = []
    current = None
    for outcome in outcomes:
        key = (outcome.path, outcome.experiment.experiment)
        if key != current:
            current = key
            lines.append(f"{outcome.path}::{outcome.experiment.experiment}")
        lines.append(outcome_line(outcome))
        lines.append(f"           {outcome.verdict.reason}")
        if findings and not outcome.as_expected:
            for result in outcome.verdict.results:
                if result.finding is not None:
                    lines.extend("           " + line
                                 for line in result.finding.render().splitlines())
    return lines


def totals_line(outcomes: list[Outcome]) -> str:
    unexpected = sum(not o.as_expected for o in outcomes)
    by_verdict: dict[str, int] = {}
    for outcome in outcomes:
        by_verdict[outcome.verdict.verdict.value] = by_verdict.get(
            outcome.verdict.verdict.value, 0) + 1
    verdicts = ", ".join(f"{count} {name}" for name, count in sorted(by_verdict.items()))
    status = "all as expected" if not unexpected else f"{unexpected} not as expected"
    return f"{len(outcomes)} runs: {verdicts}; {status}"
