"""Run experiments against systems and judge them: the one entry point front ends use.

`run_one` never raises for a problem with the system under test or its setup: it returns an
`Outcome` whose verdict says what happened (`error` with the reason when the handlers cannot
even be imported). Bugs of chaos-arena itself surface as InternalError.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from chaos._checks.evidence import Evidence
from chaos._checks.judge import judge
from chaos._checks.verdict import EXPECTED_VERDICT, AssertionResult, Finding, RunVerdict, Verdict
from chaos._cost import Bill, price_run
from chaos._engine.world import World
from chaos._errors import ChaosError, InternalError, SetupError
from chaos._result import Progress, RunResult
from chaos._spec.catalog import ResolvedSystem
from chaos._spec.experiment import Experiment
from chaos._spec.loader import LoadedExperiment
from chaos._spec.prices import default_prices


@dataclass(frozen=True)
class Outcome:
    """One experiment against one system: the verdict and everything behind it."""

    experiment: Experiment
    path: Path
    line: int
    system: str
    seed: int
    """The seed that ran."""
    verdict: Verdict
    reason: str
    """Why, in one line a report prints next to the verdict."""
    results: tuple[AssertionResult, ...]
    """Per assertion, in the experiment's order (none for an `error` run)."""
    expected: Verdict
    result: RunResult | None = None
    evidence: Evidence | None = None
    system_ref: str = ""
    """How the experiment named the system (its name, or a path to its definition)."""
    reproduce: str = ""
    """The command that reruns exactly this run (made once, by `run_one`)."""
    findings: tuple[Finding, ...] = ()
    """Findings about the run as a whole (what the handler did), before the assertions'."""
    bill: Bill | None = None
    """What the run cost (None when it could not run)."""

    @property
    def as_expected(self) -> bool:
        return self.verdict is self.expected


def reproduce_command(path: Path, experiment: str, system: str, seed: int) -> str:
    return " ".join(
        [
            "chaos-arena",
            "run",
            shlex.quote(str(path)),
            "--experiment",
            shlex.quote(experiment),
            "--system",
            shlex.quote(system),
            "--seed",
            str(seed),
        ]
    )


def expected_verdict(experiment: Experiment, system: str) -> Verdict:
    """What the experiment expects of this system; `survives` unless it says otherwise."""
    return EXPECTED_VERDICT[experiment.expectation(system).verdict]


def run_one(
    loaded: LoadedExperiment,
    system: ResolvedSystem,
    *,
    seed: int | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Outcome:
    seed = loaded.experiment.run_seed(seed)
    try:
        result = World(loaded.experiment, system, seed, progress=progress).run()
    except SetupError as error:
        return error_outcome(loaded, system, seed, str(error))
    except ChaosError:
        raise
    except Exception as error:
        command = _reproduce(loaded, system, seed)
        raise InternalError(
            f"{command} crashed: {type(error).__name__}: {error}", seed=seed
        ) from error
    evidence, verdict = judge(result)
    bill = price_run(
        result,
        system.prices or default_prices(),
        completed=evidence.accounting.counts()["completed"],
    )
    return replace(_outcome(loaded, system, seed, verdict, result, evidence), bill=bill)


def error_outcome(
    loaded: LoadedExperiment, system: ResolvedSystem, seed: int, reason: str
) -> Outcome:
    """A run that could not be judged (its handlers cannot be imported, its worker process
    died under it): an `error` verdict with the reason."""
    return _outcome(loaded, system, seed, RunVerdict(Verdict.ERROR, reason))


def _reproduce(loaded: LoadedExperiment, system: ResolvedSystem, seed: int) -> str:
    return reproduce_command(loaded.path, loaded.experiment.experiment, system.name, seed)


def _outcome(
    loaded: LoadedExperiment,
    system: ResolvedSystem,
    seed: int,
    verdict: RunVerdict,
    result: RunResult | None = None,
    evidence: Evidence | None = None,
) -> Outcome:
    experiment = loaded.experiment
    return Outcome(
        experiment,
        loaded.path,
        loaded.line,
        system.name,
        seed,
        verdict.verdict,
        verdict.reason,
        verdict.results,
        expected_verdict(experiment, system.name),
        result,
        evidence,
        system_ref=system.ref,
        reproduce=_reproduce(loaded, system, seed),
        findings=verdict.findings,
    )
