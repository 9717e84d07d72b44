"""Which architecture survived: per system, runs survived out of run, in plain sentences.

Pure functions of `RunSummary`s, shared by the terminal and Markdown reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from chaos.report.data import RunSummary

_REPEATS = re.compile(r"\s*\(\d+x\)$")
MAX_NAMED = 3
"""Experiments named per reason before `and N more`."""


@dataclass(frozen=True)
class Standing:
    """One system's record over the whole run."""

    system: str
    label: str
    runs: int
    survived: int
    as_expected: int
    sentence: str


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
    return Standing(runs[0].system, label, len(runs), survived, expected,
                    sentence(label, runs))


def sentence(label: str, runs: Sequence[RunSummary]) -> str:
    """`sync survived 1 of 3. Failed burst, spike: Lambda throttle ...; ...`."""
    survived = sum(r.verdict == "survived" for r in runs)
    if survived == len(runs):
        if len(runs) == 1:
            return f"{label} survived its only experiment."
        return f"{label} survived all {len(runs)} experiments."
    head = f"{label} survived {survived} of {len(runs)}."
    parts: list[str] = []
    for verdict, verb in (("failed", "Failed"), ("inconclusive", "Inconclusive"),
                          ("error", "Could not run")):
        groups = _by_reason([r for r in runs if r.verdict == verdict])
        parts.extend(f"{verb} {_names(names)}: {reason}." for reason, names in groups)
    return " ".join([head, *parts])


def main_reason(run: RunSummary) -> str:
    """The most frequent cause behind a run's findings, else its verdict's reason."""
    if run.causes:
        return _REPEATS.sub("", run.causes[0][0])
    return run.reason.split("; ")[0]


def _by_reason(runs: Sequence[RunSummary]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for run in runs:
        groups.setdefault(main_reason(run), []).append(run.experiment)
    return list(groups.items())


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
    listed = ", ".join(f"{s.experiment}[{s.system}] {s.verdict}, expected {s.expected}"
                       for s in off[:MAX_NAMED * 2])
    more = f" and {len(off) - MAX_NAMED * 2} more" if len(off) > MAX_NAMED * 2 else ""
    return f"{len(off)} of {total} verdicts not as expected: {listed}{more}."
