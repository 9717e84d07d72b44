"""One experiment and system over many seeds: what the runs add up to.

`SeedSummary` is plain data (it crosses pytest-xdist and goes into journals): how many seeds
gave each verdict, the survival rate with its 95 % Wilson interval, whether the seeds
disagree (flaky, as Hypothesis calls a test that passes and fails on the same input), whether
the share the experiment expects was met, and the worst seed with the command that reruns it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from chaos._decide.stats import wilson_interval
from chaos._report.data import RunSummary
from chaos._spec.experiment import VERDICT_OF, Expected
from chaos._spec.seeds import seeds_text
from chaos._spec.units import format_percent

VERDICT_ORDER = ("error", "failed", "inconclusive", "survived")
"""Worst first: a seed that errs or fails says more than one that survives."""


@dataclass(frozen=True)
class SeedSummary:
    """One experiment against one system, run once per seed."""

    experiment: str
    path: str
    line: int
    system: str
    system_index: int
    seeds: tuple[int, ...]
    verdicts: tuple[tuple[str, int], ...]
    """(verdict, number of seeds), worst verdict first; only verdicts that occurred."""
    survived: int
    interval: tuple[float, float]
    """95 % Wilson interval of the survival rate."""
    expected: str
    """The expected verdict (`survived`, `failed`, ...)."""
    expected_share: float
    """The share of seeds that must give it (1.0: every seed)."""
    explicit_share: bool
    """The experiment wrote a share (`{survives: 95%}`)."""
    observed_share: float
    """The share of seeds that gave the expected verdict."""
    as_expected: bool
    flaky: bool
    """The seeds did not all give the same verdict."""
    worst_seed: int
    worst_verdict: str
    worst_reason: str
    reproduce: str
    """The command that reruns the worst seed (it names that seed)."""
    digests: tuple[tuple[int, str], ...] = ()
    """(seed, ledger digest) per seed, when the runs' journals were written."""

    @property
    def runs(self) -> int:
        return len(self.seeds)

    @property
    def survival_rate(self) -> float:
        return self.survived / self.runs if self.runs else 0.0

    @property
    def sort_key(self) -> tuple[str, int, str, int, str]:
        return (self.path, self.line, self.experiment, self.system_index, self.system)

    def expectation_text(self) -> str:
        """`survives >= 95%` (of the seeds), `fails on all`."""
        verb = {"survived": "survives", "failed": "fails"}.get(self.expected, self.expected)
        if self.explicit_share:
            return f"{verb} >= {format_percent(self.expected_share)}"
        return f"{verb} on all"

    def rate_text(self) -> str:
        """`47/50 survived (94%, 95% CI 84%-98%)`."""
        low, high = self.interval
        return (
            f"{self.survived}/{self.runs} survived ({_percent(self.survival_rate)}, "
            f"95% CI {_percent(low)}-{_percent(high)})"
        )

    def verdicts_text(self) -> str:
        return ", ".join(f"{count} {verdict}" for verdict, count in self.verdicts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeedSummary:
        values = dict(data)
        values["seeds"] = tuple(values["seeds"])
        values["verdicts"] = tuple((str(v), int(n)) for v, n in values["verdicts"])
        values["interval"] = (float(values["interval"][0]), float(values["interval"][1]))
        values["digests"] = tuple((int(s), str(d)) for s, d in values.get("digests", ()))
        return cls(**values)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


def worst(runs: Sequence[RunSummary]) -> RunSummary:
    """The run furthest from surviving: worst verdict, then lowest client success rate,
    then most requests lost; the lowest seed among equals, so the choice is stable."""

    def badness(run: RunSummary) -> tuple[int, float, int, int]:
        rank = VERDICT_ORDER.index(run.verdict) if run.verdict in VERDICT_ORDER else 0
        rate = 1.0 if run.success_rate is None else run.success_rate
        return (rank, rate, -run.counts.get("lost", 0), run.seed)

    return min(runs, key=badness)


def aggregate(
    runs: Sequence[RunSummary], expected: Expected, digests: Iterable[tuple[int, str]] = ()
) -> SeedSummary:
    """What the runs of one experiment and system over its seeds add up to."""
    if not runs:
        raise ValueError("no runs to aggregate")
    first = runs[0]
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.verdict] = counts.get(run.verdict, 0) + 1
    order = {verdict: index for index, verdict in enumerate(VERDICT_ORDER)}
    verdicts = tuple(sorted(counts.items(), key=lambda item: order.get(item[0], -1)))
    survived = counts.get("survived", 0)
    wanted = VERDICT_OF[expected.verdict]
    observed = counts.get(wanted, 0) / len(runs)
    bad = worst(runs)
    return SeedSummary(
        experiment=first.experiment,
        path=first.path,
        line=first.line,
        system=first.system,
        system_index=first.system_index,
        seeds=tuple(run.seed for run in runs),
        verdicts=verdicts,
        survived=survived,
        interval=wilson_interval(survived, len(runs)),
        expected=wanted,
        expected_share=expected.share,
        explicit_share=expected.explicit_share,
        observed_share=observed,
        # A tolerance for shares written as percentages: 95% of 20 seeds is 19, exactly.
        as_expected="error" not in counts and observed >= expected.share - 1e-9,
        flaky=len(counts) > 1,
        worst_seed=bad.seed,
        worst_verdict=bad.verdict,
        worst_reason=bad.reason,
        reproduce=bad.reproduce,
        digests=tuple(digests),
    )


def representative(runs: Sequence[RunSummary], summary: SeedSummary) -> RunSummary:
    """The worst seed's run, standing for all of them in the per-run report: its counts,
    timeline and findings, with the verdict judged over every seed."""
    bad = worst(runs)
    if len(runs) == 1:
        return bad
    flaky = ", flaky" if summary.flaky else ""
    reason = (
        f"worst of {len(runs)} seeds ({seeds_text(summary.seeds)}{flaky}) is seed {bad.seed}: "
        f"{bad.reason}"
    )
    return replace(bad, as_expected=summary.as_expected, reason=reason)
