"""Run experiments and systems over many seeds, and add each one's seeds up.

The plan is a list of `Seeded` (an experiment, one of its systems, the seeds to run); every
(seed) becomes a `Job` for an executor, and the summaries come back grouped per experiment
and system. Which seeds run: `--seeds` on the command line, else `--seed` (one), else the
experiment's `seeds:`, else its `seed`.

Journals, when asked for: with more than one seed, each seed's run writes its usual journal
(and ledger) into `DIR/seed-N/`, and the aggregate `DIR/<experiment>.<system>.seeds.json`
lists every seed's verdict and ledger digest beside the survival rate and its interval. With
one seed, the journal is where it always was (`DIR/<experiment>.<system>.json`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos._decide.executors import Executor, Finished
from chaos._decide.seeds import SeedSummary, aggregate, representative
from chaos._execution import Job
from chaos._report.data import RunSummary
from chaos._report.journal import write_atomically
from chaos._spec.catalog import ResolvedSystem
from chaos._spec.loader import LoadedExperiment, PortableExperiment

SEEDS_JOURNAL_VERSION = 1


@dataclass(frozen=True)
class Seeded:
    """One experiment against one of its systems, over `seeds`."""

    loaded: LoadedExperiment
    system_index: int
    system: ResolvedSystem
    seeds: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"{self.loaded.experiment.experiment}[{self.system.name}]"


@dataclass(frozen=True)
class SeededResult:
    """What one `Seeded` gave: every seed's run, and what they add up to."""

    seeded: Seeded
    runs: tuple[RunSummary, ...]
    summary: SeedSummary

    @property
    def representative(self) -> RunSummary:
        """The worst seed's run, judged over all seeds (for the per-run report)."""
        return representative(self.runs, self.summary)


def seeds_of(
    loaded: LoadedExperiment, *, seed: int | None = None, seeds: tuple[int, ...] | None = None
) -> tuple[int, ...]:
    """The seeds to run: `seeds` (the command line's), else `seed`, else the experiment's
    `seeds:`, else its `seed`."""
    if seeds:
        return seeds
    if seed is not None:
        return (seed,)
    experiment = loaded.experiment
    return experiment.seeds or (experiment.seed,)


def seed_journal(journal: Path | None, seed: int, *, many: bool) -> Path | None:
    """Where one seed's journal goes: `DIR/seed-N/` when there are several seeds."""
    if journal is None or not many:
        return journal
    return journal / f"seed-{seed}"


def jobs_for(plan: Sequence[Seeded], journal: Path | None) -> list[Job]:
    """One job per seed of each planned experiment and system, in plan order."""
    jobs: list[Job] = []
    for seeded in plan:
        portable = PortableExperiment.of(seeded.loaded)
        many = len(seeded.seeds) > 1
        jobs.extend(
            Job(
                portable,
                seeded.loaded.experiment.experiment,
                seeded.system_index,
                seed,
                seed_journal(journal, seed, many=many),
            )
            for seed in seeded.seeds
        )
    return jobs


def run_seeded(
    plan: Sequence[Seeded],
    executor: Executor,
    *,
    journal: Path | None = None,
    finished: Finished | None = None,
) -> list[SeededResult]:
    """Run every seed of every planned experiment and system; per plan entry, its runs and
    their aggregate (and the aggregate journal, when `journal` is given)."""
    summaries = iter(executor.run(jobs_for(plan, journal), finished))
    results = []
    for seeded in plan:
        runs = tuple(next(summaries) for _ in seeded.seeds)
        expected = seeded.loaded.experiment.expectation(seeded.system.name)
        digests = _digests(journal, seeded, runs) if journal is not None else ()
        summary = aggregate(runs, expected, digests)
        if journal is not None and len(seeded.seeds) > 1:
            write_seeds_journal(journal, summary, runs)
        results.append(SeededResult(seeded, runs, summary))
    return results


def _digests(journal: Path, seeded: Seeded, runs: Sequence[RunSummary]) -> list[tuple[int, str]]:
    """Each seed's ledger digest, from the journal its run wrote."""
    many = len(seeded.seeds) > 1
    found = []
    for run in runs:
        directory = seed_journal(journal, run.seed, many=many)
        assert directory is not None
        path = directory / f"{run.experiment}.{run.system}.json"
        try:
            digest = json.loads(path.read_text(encoding="utf-8")).get("ledger_digest")
        except (OSError, ValueError):
            continue
        if isinstance(digest, str):
            found.append((run.seed, digest))
    return found


def seeds_journal(summary: SeedSummary, runs: Sequence[RunSummary]) -> dict[str, Any]:
    """The aggregate journal of one experiment and system over its seeds."""
    digests = dict(summary.digests)
    return {
        "seeds_journal_version": SEEDS_JOURNAL_VERSION,
        "experiment": summary.experiment,
        "system": summary.system,
        "source": f"{summary.path}:{summary.line}",
        "seeds": list(summary.seeds),
        "verdicts": dict(summary.verdicts),
        "survived": summary.survived,
        "survival_rate": summary.survival_rate,
        "interval_95": list(summary.interval),
        "expected": summary.expected,
        "expected_share": summary.expected_share,
        "observed_share": summary.observed_share,
        "as_expected": summary.as_expected,
        "flaky": summary.flaky,
        "worst": {
            "seed": summary.worst_seed,
            "verdict": summary.worst_verdict,
            "reason": summary.worst_reason,
            "reproduce": summary.reproduce,
        },
        "runs": [
            {
                "seed": run.seed,
                "verdict": run.verdict,
                "reason": run.reason,
                "journal": f"seed-{run.seed}/{run.experiment}.{run.system}.json",
                "ledger_digest": digests.get(run.seed),
            }
            for run in runs
        ],
    }


def write_seeds_journal(directory: Path, summary: SeedSummary, runs: Sequence[RunSummary]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{summary.experiment}.{summary.system}.seeds.json"
    write_atomically(path, json.dumps(seeds_journal(summary, runs), indent=2) + "\n")
    return path
