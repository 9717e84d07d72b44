"""Run experiments from Python, for tests that combine chaos with their own assertions.

    from chaos.api import check, counts, run

    def test_orders_survive_a_throttle():
        outcome = run('''
            experiment: throttled
            duration: 1m
            workload: {steady: {rate: 10/s, for: 30s}}
            faults: [{lambda.throttle: {concurrency: 0, at: 5s, for: 10s}}]
        ''', "eda")
        check(outcome)                      # the verdict is what the experiment expects
        assert counts(outcome)["lost"] == 0

An experiment can be YAML text, a mapping (as `experiment_model().model_validate` takes it:
numbers in base units, strings with units), an `Experiment`, or a path to a file. Under
pytest, the `chaos_run` fixture does the same and adds the run to the session's report.

Importing this module is cheap: the spec loader and the engine load on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from chaos.errors import Diagnostic, GuaranteeViolation, SpecError

if TYPE_CHECKING:
    from chaos.engine.result import Progress
    from chaos.engine.runner import Outcome
    from chaos.report.data import RunSummary
    from chaos.spec.experiment import Experiment
    from chaos.spec.loader import LoadedExperiment
    from chaos.systems import ResolvedSystem

__all__ = ["UnexpectedVerdict", "check", "counts", "load", "run", "systems_of"]

Source: TypeAlias = "Experiment | Mapping[str, Any] | str | Path"
PYTHON_SOURCE = Path("<python>")


class UnexpectedVerdict(GuaranteeViolation):
    """A system's verdict is not the one its experiment expects; the message is the finding."""

    def __init__(self, summary: RunSummary, *, rerun: str = "") -> None:
        from chaos.report.failure import failure_lines, headline

        self.summary = summary
        self.headline = headline(summary)
        self.lines = failure_lines(summary, rerun=rerun)
        super().__init__("\n".join(self.lines))


def load(
    source: Source, *, name: str | None = None, path: Path | None = None, line: int = 1
) -> LoadedExperiment:
    """One experiment with where it came from; SpecError lists every problem.

    Args:
        source: YAML text, a mapping, an `Experiment`, or a path to a `*.chaos.yaml` file.
        name: which experiment of a file holding several.
        path: the file to report for text, mappings and models (default `<python>`).
        line: the line to report with `path`.
    """
    from chaos.spec.experiment import Experiment
    from chaos.spec.loader import LoadedExperiment, load_file

    where = PYTHON_SOURCE if path is None else path
    if isinstance(source, Path):
        return _pick(load_file(source), name, source)
    if isinstance(source, Experiment):
        return LoadedExperiment(source, where, line)
    if isinstance(source, str):
        return LoadedExperiment(_from_yaml(source, where, line), where, line)
    return LoadedExperiment(_from_mapping(source, where, line), where, line)


def _pick(loaded: list[LoadedExperiment], name: str | None, path: Path) -> LoadedExperiment:
    if name is None and len(loaded) == 1:
        return loaded[0]
    for item in loaded:
        if item.experiment.experiment == name:
            return item
    names = ", ".join(item.experiment.experiment for item in loaded)
    raise SpecError.single(
        str(path),
        f"pass name= to choose an experiment: {names}"
        if name is None
        else f"no experiment named {name!r}",
        hint=f"experiments in this file: {names}",
    )


def _from_yaml(text: str, path: Path, line: int) -> Experiment:
    from chaos.spec.loader import load_text

    try:
        loaded = load_text(_dedent(text), str(path), base_dir=Path.cwd())
    except SpecError as error:
        raise SpecError([_shifted(d, line) for d in error.diagnostics]) from None
    if len(loaded) != 1:
        raise SpecError.single(
            str(path),
            "the YAML text must hold exactly one experiment",
            line=line,
            hint="run the others with their own calls",
        )
    return loaded[0].experiment


def _from_mapping(data: Mapping[str, Any], path: Path, line: int) -> Experiment:
    from pydantic import ValidationError

    from chaos.spec.experiment import experiment_model

    try:
        return experiment_model().model_validate(dict(data))
    except ValidationError as error:
        raise SpecError(
            [
                Diagnostic(str(path), line, 0, str(item["msg"]), _key_path(item["loc"]))
                for item in error.errors(include_url=False)
            ]
        ) from None


def _key_path(loc: tuple[str | int, ...]) -> str:
    """`faults[0].lambda.error.probability` from a pydantic location."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _dedent(text: str) -> str:
    """YAML written inside a Python string is usually indented with the code around it."""
    import textwrap

    return textwrap.dedent(text).strip("\n") + "\n"


def _shifted(diagnostic: Diagnostic, line: int) -> Diagnostic:
    """Lines inside YAML text, counted from the line that holds it."""
    if diagnostic.line <= 0 or line <= 1:
        return diagnostic
    return replace(diagnostic, line=diagnostic.line + line - 1)


def systems_of(loaded: LoadedExperiment, *, base_dir: Path | None = None) -> list[ResolvedSystem]:
    """Every system the experiment names, validated; SpecError lists all problems."""
    from chaos.systems import resolve_systems

    return resolve_systems(loaded, base_dir=base_dir)


def system_named(
    loaded: LoadedExperiment, system: str, *, base_dir: Path | None = None
) -> ResolvedSystem:
    """The experiment's own reference to `system` (with its overrides), else `system` itself."""
    from chaos.spec.experiment import SystemRef
    from chaos.systems import load_system

    base = loaded.path.parent if base_dir is None else base_dir
    for ref in loaded.experiment.systems:
        if ref.ref == system:
            return load_system(ref, base)
    for resolved in systems_of(loaded, base_dir=base):
        if resolved.name == system:
            return resolved
    return load_system(SystemRef(ref=system), base)


def run(
    source: Source,
    system: str,
    *,
    seed: int | None = None,
    name: str | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Outcome:
    """Run one experiment against one system and judge it.

    Args:
        source: YAML text, a mapping, an `Experiment`, or a path to a `*.chaos.yaml` file.
        system: a reference system (`sync`, `eda`), a registered system, or a path to a
            system definition; the experiment's own overrides for it apply.
        seed: overrides the experiment's seed.
        name: which experiment of a file holding several.
        progress: called while the run advances (virtual time, requests sent).

    Returns:
        The `Outcome`: verdict, expected verdict, the run result and its evidence.
    """
    loaded = load(source, name=name)
    return run_loaded(
        loaded,
        system,
        seed=seed,
        progress=progress,
        base_dir=Path.cwd() if loaded.path == PYTHON_SOURCE else None,
    )


def run_loaded(
    loaded: LoadedExperiment,
    system: str,
    *,
    seed: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    base_dir: Path | None = None,
) -> Outcome:
    from chaos.engine.runner import run_one

    resolved = system_named(loaded, system, base_dir=base_dir)
    return run_one(loaded, resolved, seed=seed, progress=progress)


def counts(outcome: Outcome) -> dict[str, int]:
    """The journal's counts (sent, accepted, completed, lost, ...); empty for an error run."""
    if outcome.evidence is None:
        return {}
    return outcome.evidence.accounting.counts()


def check(outcome: Outcome, *, reproduce: str | None = None) -> None:
    """Raise UnexpectedVerdict, with the finding as its message, unless as expected.

    Args:
        outcome: what `run` returned.
        reproduce: how to rerun it; by default the CLI command for experiment files, and
            the seed for experiments built in Python (the `chaos_run` fixture's `check`
            gives the pytest command).
    """
    if outcome.as_expected:
        return
    from chaos.report.data import summarize

    if reproduce is None and not outcome.path.name.endswith((".yaml", ".yml")):
        reproduce = f"run it again with seed {outcome.seed}"
    raise UnexpectedVerdict(summarize(outcome, reproduce=reproduce))
