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

An experiment can be YAML text, a mapping (numbers in base units, strings with units; its
problems are reported like a file's, by key path), an `Experiment`, or a path to a file.
Under pytest, the `chaos_run` fixture does the same and adds the run to the session's report.

Importing this module is cheap: the spec loader and the engine load on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from chaos._errors import Diagnostic, GuaranteeViolation, SpecError

if TYPE_CHECKING:
    from chaos._engine.runner import Outcome
    from chaos._report.data import RunSummary
    from chaos._result import Progress
    from chaos._spec.catalog import ResolvedSystem
    from chaos._spec.experiment import Experiment
    from chaos._spec.loader import LoadedExperiment, Loader

__all__ = ["UnexpectedVerdict", "check", "counts", "load", "run"]

Source: TypeAlias = "Experiment | Mapping[str, Any] | str | Path"
PYTHON_SOURCE = Path("<python>")


class UnexpectedVerdict(GuaranteeViolation):
    """A system's verdict is not the one its experiment expects; the message is the finding."""

    def __init__(
        self,
        summary: RunSummary,
        *,
        rerun: str = "",
        stories: int | None = 3,  # failure.DEFAULT_STORIES: this module imports cheaply
        more: str = "the journal keeps them all",
    ) -> None:
        from chaos._report.failure import failure_lines, headline

        self.summary = summary
        self.headline = headline(summary)
        self.lines = failure_lines(summary, rerun=rerun, stories=stories, more=more)
        super().__init__("\n".join(self.lines))


def load(
    source: Source,
    *,
    name: str | None = None,
    path: Path | None = None,
    line: int = 1,
    base_dir: Path | None = None,
) -> LoadedExperiment:
    """One experiment with where it came from and its systems resolved; SpecError lists
    every problem, located by line in YAML and by key path in a mapping.

    Args:
        source: YAML text, a mapping, an `Experiment`, or a path to a `*.chaos.yaml` file.
        name: which experiment of a file holding several.
        path: the file to report for text, mappings and models (default `<python>`).
        line: the line to report with `path`.
        base_dir: where relative system paths count from (default: the experiment file's
            directory, or the current directory for text, mappings and models).
    """
    from chaos._loading import loader

    return load_with(loader(), source, name=name, path=path, line=line, base_dir=base_dir)


def load_with(
    loading: Loader,
    source: Source,
    *,
    name: str | None = None,
    path: Path | None = None,
    line: int = 1,
    base_dir: Path | None = None,
) -> LoadedExperiment:
    """`load` with a loader that already serves a run (its system files read once)."""
    from chaos._spec.experiment import Experiment

    if isinstance(source, Path):
        return _pick(loading.file(source), name, source)
    where = PYTHON_SOURCE if path is None else path
    base = Path.cwd() if base_dir is None else base_dir
    if isinstance(source, Experiment):
        return loading.model(source, where, line, base_dir=base)
    if isinstance(source, str):
        return _from_yaml(loading, source, where, line, base)
    return loading.mapping(source, where, line, base_dir=base)


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


def _from_yaml(
    loading: Loader, text: str, path: Path, line: int, base_dir: Path
) -> LoadedExperiment:
    try:
        loaded = loading.text(_dedent(text), str(path), base_dir=base_dir)
    except SpecError as error:
        raise SpecError([_shifted(d, line) for d in error.diagnostics]) from None
    if len(loaded) != 1:
        raise SpecError.single(
            str(path),
            "the YAML text must hold exactly one experiment",
            line=line,
            hint="run the others with their own calls",
        )
    return replace(loaded[0], path=path, line=line)


def _dedent(text: str) -> str:
    """YAML written inside a Python string is usually indented with the code around it."""
    import textwrap

    return textwrap.dedent(text).strip("\n") + "\n"


def _shifted(diagnostic: Diagnostic, line: int) -> Diagnostic:
    """Lines inside YAML text, counted from the line that holds it."""
    if diagnostic.line <= 0 or line <= 1:
        return diagnostic
    return replace(diagnostic, line=diagnostic.line + line - 1)


def system_named(
    loaded: LoadedExperiment, system: str, loading: Loader | None = None
) -> ResolvedSystem:
    """The experiment's own system `system` (by reference, then by name, overrides merged),
    else `system` itself, resolved from the experiment's directory by `loading` (the loader
    that loaded it, which has read its system files already)."""
    for resolved in loaded.systems:
        if resolved.ref == system:
            return resolved
    for resolved in loaded.systems:
        if resolved.name == system:
            return resolved
    from chaos._loading import loader
    from chaos._spec.experiment import SystemRef

    loading = loader() if loading is None else loading
    return loading.system(SystemRef(ref=system), loaded.base_dir)


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
    from chaos._loading import loader

    loading = loader()
    loaded = load_with(loading, source, name=name)
    return run_loaded(loaded, system, seed=seed, progress=progress, loading=loading)


def run_loaded(
    loaded: LoadedExperiment,
    system: str,
    *,
    seed: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    loading: Loader | None = None,
) -> Outcome:
    """`run` for an experiment already loaded; `loading` is the loader that loaded it (a
    system the experiment does not name is resolved by it, from what it has read)."""
    from chaos._engine.runner import run_one

    resolved = system_named(loaded, system, loading)
    return run_one(loaded, resolved, seed=seed, progress=progress)


def counts(outcome: Outcome) -> dict[str, int]:
    """The journal's counts (sent, accepted, completed, lost, ...); empty for an error run."""
    if outcome.evidence is None:
        return {}
    return outcome.evidence.accounting.counts()


def check(outcome: Outcome, *, reproduce: str | None = None, stories: int | None = 3) -> None:
    """Raise UnexpectedVerdict, with the finding as its message, unless as expected.

    Args:
        outcome: what `run` returned.
        reproduce: how to rerun it; by default the CLI command for experiment files, and
            the seed for experiments built in Python (the `chaos_run` fixture's `check`
            gives the pytest command).
        stories: how many kinds of request story the message shows (None: all).
    """
    if outcome.as_expected:
        return
    from chaos._report.data import summarize

    if reproduce is None and not outcome.path.name.endswith((".yaml", ".yml")):
        reproduce = f"run it again with seed {outcome.seed}"
    raise UnexpectedVerdict(summarize(outcome, reproduce=reproduce), stories=stories)
