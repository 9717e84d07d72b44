"""Which architecture survived: per system, runs survived out of run, in plain sentences.

Pure functions of `RunSummary`s, shared by the terminal and Markdown reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chaos._checks.score import SystemScore, aggregate
from chaos._report.data import RunSummary

MAX_NAMED = 3
"""Experiments named per reason before `and N more`."""
MAX_REASONS = 3
"""Reasons spelled out per verdict before `N more for other reasons`."""


@dataclass(frozen=True)
class Standing:
    """One system's record over the whole run."""

    system: str
    label: str
    runs: int
    survived: int
    as_expected: int
    sentence: str
    score: SystemScore = field(default_factory=lambda: SystemScore(None, 0, 0))
    """The mean resilience score of its runs that tested something."""


def standings(summaries: Sequence[RunSummary]) -> list[Standing]:
    """One standing per system, in the order systems first appear."""
    by_system: dict[str, list[RunSummary]] = {}
    for summary in sorted(summaries, key=lambda s: s.sort_key):
        by_system.setdefault(summary.system, []).append(summary)
    return [_standing(runs) for runs in by_system.values()]


def _standing(runs: list[RunSummary]) -> Standing:
    label = next((r.label for r in runs if r.architecture), runs[0].system)
    survived = sum(r.verdict == "survived" for r in runs)
    expected = sum(r.as_expected for r in runs)
    score = aggregate(r.score for r in runs)
    return Standing(
        runs[0].system, label, len(runs), survived, expected, sentence(label, runs), score
    )


def sentence(label: str, runs: Sequence[RunSummary]) -> str:
    """`sync survived 3 of 14. Failed 10: Lambda throttle at its concurrency limit (burst,
    spike, storm and 4 more); DynamoDB throttle after 4 SDK attempts (db-throttling).`"""
    survived = sum(r.verdict == "survived" for r in runs)
    if survived == len(runs):
        if len(runs) == 1:
            return f"{label} survived its only experiment."
        return f"{label} survived all {len(runs)} experiments."
    parts = [f"{label} survived {survived} of {len(runs)}."]
    for verdict, verb in (
        ("failed", "Failed"),
        ("inconclusive", "Inconclusive"),
        ("error", "Could not run"),
    ):
        matching = [r for r in runs if r.verdict == verdict]
        if matching:
            parts.append(f"{verb} {len(matching)}: {_grouped(matching)}.")
    return " ".join(parts)


def main_reason(run: RunSummary) -> str:
    """The most frequent cause behind a run's findings, without what differs between
    experiments (which fault window, which status); else its verdict's reason."""
    return run.main_cause or run.reason.split("; ")[0]


def _grouped(runs: Sequence[RunSummary]) -> str:
    """`reason (names); reason (names)`, the most common reason first."""
    groups: dict[str, list[str]] = {}
    for run in runs:
        groups.setdefault(main_reason(run), []).append(run.experiment)
    ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
    shown = [f"{reason} ({_names(names)})" for reason, names in ordered[:MAX_REASONS]]
    rest = sum(len(names) for _, names in ordered[MAX_REASONS:])
    if rest:
        shown.append(f"{rest} more for other reasons")
    return "; ".join(shown)


def _names(names: list[str]) -> str:
    if len(names) <= MAX_NAMED:
        return ", ".join(names)
    return f"{', '.join(names[:MAX_NAMED])} and {len(names) - MAX_NAMED} more"


def expectation_line(summaries: Sequence[RunSummary]) -> str:
    """`All 4 verdicts as expected.` or which runs were not, with what was expected."""
    total = len(summaries)
    off = [s for s in sorted(summaries, key=lambda s: s.sort_key) if not s.as_expected]
    if not off:
        return f"All {total} verdict{'s' if total != 1 else ''} as expected."
    listed = ", ".join(
        f"{s.experiment}[{s.system}] {s.verdict}, expected {s.expected}"
        for s in off[: MAX_NAMED * 2]
    )
    more = f" and {len(off) - MAX_NAMED * 2} more" if len(off) > MAX_NAMED * 2 else ""
    return f"{len(off)} of {total} verdicts not as expected: {listed}{more}."
