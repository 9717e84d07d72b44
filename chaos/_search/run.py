"""`chaos-arena search`: Hypothesis's engine looks for a point of an experiment's `search:`
space under which its assertions fail, shrinks it, and writes it as an experiment file.

The engine is `hypothesis.find`: it generates points, keeps the first that fails, and
shrinks it to a minimal one (`chaos._search.space` makes minimal mean fewest faults and
values nearest their ranges' first bounds). Each point is written as the experiment file it
would be and run from that text, so the file written at the end reproduces the run exactly.

The budget counts runs, shrinking included: once it is spent, points not run yet count as
passing without being run, so the shrinker stops at the smallest failure it has seen (its
last replay of that point is answered from the cache). Hypothesis's example database lives
in a project directory (default `.chaos-arena/search`), keyed by the experiment, the system
and the space, so a rerun starts from the failures it already knows.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import NoSuchExample

from chaos._checks.verdict import Verdict
from chaos._engine.runner import Outcome, run_one
from chaos._errors import SetupError, SpecError
from chaos._loading import loader
from chaos._search.space import Choice, choices, set_path
from chaos._spec.catalog import ResolvedSystem
from chaos._spec.loader import LoadedExperiment, Loader

DEFAULT_DATABASE = Path(".chaos-arena") / "search"
"""Where Hypothesis keeps known failures, relative to the current (project) directory."""


@dataclass(frozen=True)
class SearchProgress:
    """How far a search has got, after each run."""

    tried: int
    """Runs so far, shrinking included."""
    budget: int
    failures: int
    """Runs whose verdict was `failed`."""
    best: str
    """The smallest failing point so far ('' before the first)."""


@dataclass
class SearchResult:
    """What a search found (`outcome` None when no point failed within the budget)."""

    tried: int
    failures: int
    invalid: int = 0
    """Points that made no valid experiment (not run, not counted in `tried`)."""
    choice: Choice | None = None
    outcome: Outcome | None = None
    path: Path | None = None
    """The experiment file written for the failure."""
    text: str = ""
    first_failure: Choice | None = None
    """The first failing point, before shrinking."""
    history: list[tuple[Choice, Verdict]] = field(default_factory=list)


def found_name(experiment: str, system: str) -> str:
    return f"{experiment}-found-{system}"


class Search:
    """One search: an experiment with a `search:` space, one of its systems, a budget."""

    def __init__(
        self,
        loaded: LoadedExperiment,
        system: ResolvedSystem,
        *,
        budget: int,
        output: Path,
        database: Path | None = DEFAULT_DATABASE,
        seed: int | None = None,
        progress: Callable[[SearchProgress], None] | None = None,
        loading: Loader | None = None,
    ) -> None:
        experiment = loaded.experiment
        if experiment.search is None:
            raise SetupError(
                f"{loaded.path}:{loaded.line}: experiment {experiment.experiment!r} has no "
                "'search:' space; add one (see the README, 'Fault-space search')"
            )
        if not isinstance(loaded.data, dict) or not loaded.from_yaml:
            raise SetupError("search needs an experiment read from a file or YAML text")
        if budget < 1:
            raise SetupError("--budget must be at least 1")
        self.loaded = loaded
        self.system = system
        self.space = experiment.search
        self.budget = budget
        self.output = output
        self.database = database
        self.seed = experiment.run_seed(seed)
        self.progress = progress
        self.loading = loading or loader()
        self.name = found_name(experiment.experiment, system.name)
        self.path = output / f"{self.name}.chaos.yaml"
        self.result = SearchResult(0, 0)
        self._cache: dict[str, Outcome | None] = {}
        self._best: Choice | None = None

    # -- the document of one point -----------------------------------------------------------

    def document(self, choice: Choice) -> dict[str, Any]:
        """The experiment file of one point: the original, its seed pinned, the chosen
        faults added, the workload and system settings set, only the searched system, and
        `expect: {system: fails}`."""
        base: dict[str, Any] = copy.deepcopy(self.loaded.data)
        original = self.loaded.experiment.experiment
        document: dict[str, Any] = {
            "experiment": self.name,
            "description": (
                f"Found by chaos-arena search on {original} ({self.loaded.path}) against "
                f"{self.system.name}: {choice.describe()}."
            ),
            "seed": self.seed,
        }
        skipped = {"experiment", "description", "seed", "systems", "expect", "search"}
        for key, value in base.items():
            if key not in skipped:
                document[key] = value
        workload = document.setdefault("workload", {})
        for path, value in choice.workload:
            try:
                set_path(workload, path, value)
            except KeyError:
                raise SetupError(f"search.workload: {path} is not a workload setting") from None
        document["systems"] = [self._system_entry(base, choice)]
        document["faults"] = [*base.get("faults", []), *(dict(f) for f in choice.faults)]
        document["expect"] = {self.system.name: "fails"}
        return document

    def _system_entry(self, base: dict[str, Any], choice: Choice) -> Any:
        index = self.loaded.systems.index(self.system)
        entries = base.get("systems")
        entry = entries[index] if isinstance(entries, list) else self.system.name
        ref, overrides = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
        overrides = copy.deepcopy(overrides or {})
        for path, value in choice.system:
            try:
                set_path(overrides, path, value)
            except KeyError:
                raise SetupError(f"search.system: {path} is not a system setting") from None
        ref = self._ref_from_output(ref)
        return {ref: overrides} if overrides else ref

    def _ref_from_output(self, ref: str) -> str:
        """A system named by path counts from the experiment's directory; the found file
        lives in the output directory, so its path is rewritten relative to that."""
        if "/" not in ref and not ref.endswith((".yaml", ".yml")):
            return ref
        target = (self.loaded.base_dir / ref).resolve()
        return os.path.relpath(target, self.output.resolve())

    def text(self, choice: Choice) -> str:
        """The experiment file of one point, as written and as run."""
        return yaml.safe_dump(self.document(choice), sort_keys=False, allow_unicode=True)

    # -- running points ------------------------------------------------------------------------

    def fails(self, choice: Choice) -> bool:
        """Hypothesis's condition: does this point fail the experiment's assertions?"""
        key = choice.key()
        if key in self._cache:
            cached = self._cache[key]
            return cached is not None and cached.verdict is Verdict.FAILED
        if self.result.tried >= self.budget:
            return False  # the budget is spent: nothing more runs
        outcome = self._run(choice)
        self._cache[key] = outcome
        if outcome is None:
            return False
        failed = outcome.verdict is Verdict.FAILED
        self.result.history.append((choice, outcome.verdict))
        if failed:
            self.result.failures += 1
            if self.result.first_failure is None:
                self.result.first_failure = choice
            if self._best is None or smaller(choice, self._best):
                self._best = choice
        if self.progress is not None:
            best = self._best.describe() if self._best is not None else ""
            self.progress(
                SearchProgress(self.result.tried, self.budget, self.result.failures, best)
            )
        return failed

    def _run(self, choice: Choice) -> Outcome | None:
        try:
            (loaded,) = self.loading.text(
                self.text(choice), str(self.path), base_dir=self.output, source=self.path
            )
        except SpecError:
            self.result.invalid += 1  # e.g. a window that starts after the end
            return None
        self.result.tried += 1
        return run_one(loaded, loaded.systems[0], seed=self.seed)

    def run(self) -> SearchResult:
        """Search, shrink, and write the failure found (if any) atomically."""
        self.output.mkdir(parents=True, exist_ok=True)
        strategy = choices(self.space, duration=self.loaded.experiment.duration)
        try:
            minimal = find(
                strategy,
                self.fails,
                settings=self._settings(),
                random=Random(self.seed),
                database_key=self._database_key(),
            )
        except NoSuchExample:
            return self.result
        outcome = self._cache.get(minimal.key())
        assert outcome is not None  # find returns a point that failed, so one that ran
        self.result.choice, self.result.outcome = minimal, outcome
        self.result.text = self.text(minimal)
        write_atomically(self.path, self.result.text)
        self.result.path = self.path
        return self.result

    def _settings(self) -> settings:
        return settings(
            max_examples=self.budget,
            database=None
            if self.database is None
            else DirectoryBasedExampleDatabase(str(self.database)),
            phases=(Phase.reuse, Phase.generate, Phase.shrink),
            deadline=None,
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
        )

    def _database_key(self) -> bytes:
        """The experiment as written, the system and the seed: a changed space or
        experiment starts afresh, a rerun of the same one from its known failures."""
        identity = {
            "experiment": self.loaded.data,
            "system": self.system.name,
            "seed": self.seed,
        }
        text = json.dumps(identity, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).digest()


def smaller(one: Choice, other: Choice) -> bool:
    """Fewer faults first, then the shorter description (shorter numbers, fewer parts)."""
    return (len(one.faults), len(one.describe())) < (len(other.faults), len(other.describe()))


def write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


__all__ = ["DEFAULT_DATABASE", "Search", "SearchProgress", "SearchResult", "found_name"]
