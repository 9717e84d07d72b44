"""Cost and score in words: dollar figures, which architecture was cheaper for the same work,
and each system's resilience score. Pure functions of `RunSummary`s, shared by the terminal
and Markdown reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chaos._checks.score import SystemScore, aggregate
from chaos._report.data import RunSummary


def dollars(value: float | None) -> str:
    """`$0.0283`, `$2.41`, `$258`: three significant figures, no exponent."""
    if value is None:
        return "-"
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1 or value == 0:
        return f"${value:.2f}"
    digits = 2
    while value < 10 ** -(digits - 2) and digits < 12:
        digits += 1
    return f"${value:.{digits}f}"


def per_million(value: float | None) -> str:
    """A per-request cost as dollars per million requests: `$7.86 per million`."""
    return "-" if value is None else f"{dollars(value * 1_000_000)} per million"


def score_text(score: float | None) -> str:
    return "-" if score is None else f"{score:.0f}"


def system_score(runs: Sequence[RunSummary]) -> SystemScore:
    return aggregate(run.score for run in runs)


def score_sentence(runs: Sequence[RunSummary]) -> str:
    """`resilience score 87/100 over 13 runs (1 inconclusive left out)`."""
    result = system_score(runs)
    if result.score is None:
        return "no resilience score (no run tested anything)"
    text = f"resilience score {result.score:.0f}/100 over {result.scored} run" + (
        "s" if result.scored != 1 else ""
    )
    if result.unscored:
        text += f" ({result.unscored} inconclusive or error left out)"
    return text


@dataclass(frozen=True)
class Spend:
    """What one system spent over a set of experiments."""

    system: str
    total: float
    completed: int

    @property
    def per_completed(self) -> float | None:
        return self.total / self.completed if self.completed else None


def comparisons(summaries: Sequence[RunSummary]) -> list[str]:
    """Which architecture was cheaper for the same work, and by how much: each system
    against the first one, over the experiments both ran, on the total and on the cost per
    completed request (a system that completes half of a burst spends less for less)."""
    ordered = sorted(summaries, key=lambda s: s.sort_key)
    systems = list(dict.fromkeys(s.system for s in ordered if s.cost is not None))
    if len(systems) < 2:
        return []
    first = systems[0]
    return [line for other in systems[1:] if (line := _compare(ordered, first, other))]


def _compare(summaries: Sequence[RunSummary], first: str, other: str) -> str:
    by_experiment: dict[tuple[str, int, str], dict[str, RunSummary]] = {}
    for summary in summaries:
        if summary.cost is not None and summary.system in (first, other):
            key = (summary.path, summary.line, summary.experiment)
            by_experiment.setdefault(key, {})[summary.system] = summary
    shared = [runs for runs in by_experiment.values() if len(runs) == 2]
    if not shared:
        return ""
    a, b = (_spend(name, [runs[name] for runs in shared]) for name in (first, other))
    count = len(shared)
    where = (
        f"over the {count} experiments both ran" if count > 1 else "over the experiment both ran"
    )
    figures = (
        f"{a.system} {dollars(a.total)} ({per_million(a.per_completed)} completed), "
        f"{b.system} {dollars(b.total)} ({per_million(b.per_completed)} completed)"
    )
    verdicts = [_cheaper(a.system, a.total, b.system, b.total, "in total")]
    verdicts.append(
        _cheaper(a.system, a.per_completed, b.system, b.per_completed, "per completed request")
    )
    return f"Cost {where}: {figures}: {'; '.join(v for v in verdicts if v)}."


def _spend(system: str, runs: Sequence[RunSummary]) -> Spend:
    return Spend(
        system,
        sum(r.cost or 0.0 for r in runs),
        sum(r.counts.get("completed", 0) for r in runs),
    )


def _cheaper(a: str, a_cost: float | None, b: str, b_cost: float | None, measure: str) -> str:
    if a_cost is None or b_cost is None:
        return ""
    if a_cost == b_cost:
        return f"the same {measure}"
    cheap, cheap_cost, dear_cost = (a, a_cost, b_cost) if a_cost < b_cost else (b, b_cost, a_cost)
    return f"{cheap} {(dear_cost - cheap_cost) / dear_cost:.0%} cheaper {measure}"
