"""The collected items: an experiment file, one item per experiment and system, and the
error item of an invalid file; what a run leaves on the item (JUnit properties, journal,
summary for the report); the failure text pointing at the YAML line."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chaos._pytest_plugin.settings import (
    EXPERIMENT_NAMES,
    RUNS,
    SEED_RUNS,
    SETTINGS,
    Settings,
    session_loader,
)
from chaos._report.kinds import SHOWN_COUNTS
from chaos.api import UnexpectedVerdict

if TYPE_CHECKING:
    from _pytest._code.code import ExceptionInfo, TerminalRepr

    from chaos._errors import SpecError
    from chaos._report.data import RunSummary
    from chaos._spec.catalog import ResolvedSystem
    from chaos._spec.loader import LoadedExperiment

MARKER_HELP = (
    "chaos(system): a chaos-arena experiment run against one system (`-m chaos`, "
    "`-m \"chaos(system='eda')\"`)"
)
TAG_HELP = "tag from chaos-arena experiments (`tags:` in *.chaos.yaml)"
RESERVED_TAGS = frozenset({"parametrize", "usefixtures", "filterwarnings", "skipif"})
"""pytest marks that need arguments: as bare tags they would break collection."""
MORE_STORIES = "--chaos-stories N shows more; journals (--chaos-journal DIR) keep them all"
INVALID_ITEM = "validate"
"""Name of the error item of a file that cannot be loaded: `path::validate`."""


class ChaosFile(pytest.File):
    """A `*.chaos.yaml` file: its experiments times their systems, in file order."""

    def collect(self) -> Iterator[pytest.Item]:
        from chaos._errors import SpecError
        from chaos._spec.loader import ExperimentNames

        settings = self.config.stash[SETTINGS]
        shown = settings.shown(self.path)
        try:
            experiments = session_loader(self.config).file(self.path)
        except SpecError as error:
            yield InvalidExperiment.from_parent(
                self, name=INVALID_ITEM, error=_relocated(error, settings)
            )
            return
        names = self.config.stash.setdefault(EXPERIMENT_NAMES, ExperimentNames())
        for loaded in experiments:
            display = replace(loaded, path=shown)
            if clashes := names.clashes([display]):
                yield InvalidExperiment.from_parent(
                    self,
                    name=loaded.experiment.experiment,
                    error=_relocated(SpecError(clashes), settings),
                )
                continue
            for system in loaded.systems:
                yield ChaosItem.from_parent(
                    self,
                    name=f"{display.experiment.experiment}[{system.name}]",
                    loaded=display,
                    system=system,
                )


def _relocated(error: SpecError, settings: Settings) -> SpecError:
    """The same problems, with file paths as the user typed them (relative)."""
    from chaos._errors import SpecError

    return SpecError(
        [
            replace(d, path=str(settings.shown(Path(d.path)))) if d.path else d
            for d in error.diagnostics
        ]
    )


class ChaosItem(pytest.Item):
    """One experiment against one system; passes when the verdict is the expected one."""

    def __init__(self, *, loaded: LoadedExperiment, system: ResolvedSystem, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded
        self.system = system
        self.add_marker(pytest.mark.chaos(system=system.name))
        for tag in loaded.experiment.tags:
            if tag not in RESERVED_TAGS:
                _register_marker(self.config, tag)
                self.add_marker(tag)

    def runtest(self) -> None:
        from chaos._engine.runner import run_one
        from chaos._report.journal import journaled_summary

        settings = self.config.stash[SETTINGS]
        seeds = _seeds_of(self.loaded, settings)
        if len(seeds) > 1:
            self._run_seeds(seeds, settings)
            return
        outcome = run_one(self.loaded, self.system, seed=settings.seed)
        summary = journaled_summary(outcome, settings.journal)
        record(self, summary)
        if not summary.as_expected:
            raise UnexpectedVerdict(
                summary,
                rerun=rerun_command(self.nodeid, summary.seed),
                stories=settings.stories,
                more=MORE_STORIES,
            )

    def _run_seeds(self, seeds: tuple[int, ...], settings: Settings) -> None:
        """Every seed, here (in worker processes where the session is not already spread
        over xdist workers); the item passes when the share of seeds the experiment expects
        gave its verdict."""
        import os

        from chaos._decide.executors import LocalPool
        from chaos._decide.many import Seeded, run_seeded

        index = list(self.loaded.systems).index(self.system)
        under_xdist = hasattr(self.config, "workerinput")
        workers = 1 if under_xdist else min(len(seeds), os.cpu_count() or 1)
        seeded = Seeded(self.loaded, index, self.system, seeds)
        (result,) = run_seeded([seeded], LocalPool(workers), journal=settings.journal)
        shown = result.representative
        record(self, shown)
        self.stash.setdefault(SEED_RUNS, []).append(result.summary)
        if not result.summary.as_expected:
            summary = result.summary
            rerun = rerun_command(self.nodeid, summary.worst_seed)
            raise UnexpectedVerdict(shown, rerun=f"{rerun}  # {summary.rate_text()}")

    def repr_failure(
        self, excinfo: ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        error = excinfo.value
        if isinstance(error, UnexpectedVerdict) and not self._full_trace():
            return finding_repr(
                str(self.loaded.path), self.loaded.line, error.headline, error.lines
            )
        # Start the traceback at this module's runtest, not inside pytest's runner and pluggy.
        excinfo.traceback = excinfo.traceback.cut(path=Path(__file__))
        return super().repr_failure(excinfo, style=style)

    def _full_trace(self) -> bool:
        return self.config.stash[SETTINGS].full_trace

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.loaded.line - 1, self.name


def _seeds_of(loaded: LoadedExperiment, settings: Settings) -> tuple[int, ...]:
    """--chaos-seeds, else --chaos-seed, else the experiment's seeds:, else its seed."""
    if settings.seeds:
        return settings.seeds
    if settings.seed is not None:
        return (settings.seed,)
    return loaded.experiment.seeds or (loaded.experiment.seed,)


def rerun_command(nodeid: str, seed: int) -> str:
    return f"pytest {shlex.quote(nodeid)} --chaos-seed {seed}"


class InvalidExperiment(pytest.Item):
    """The error item of an experiment (or file) that cannot be loaded: its diagnostics."""

    def __init__(self, *, error: SpecError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error
        self.add_marker(pytest.mark.chaos)
        # Which systems the broken experiment meant is unknown: it answers to every
        # registered one, so `-m "chaos(system='eda')"` still shows that it is broken.
        for system in session_loader(self.config).vocabulary.systems.names():
            self.add_marker(pytest.mark.chaos(system=system))

    @property
    def line(self) -> int:
        return next((d.line for d in self.error.diagnostics if d.line > 0), 1)

    def setup(self) -> None:
        # Raised at setup so pytest counts an ERROR (the file is broken), not a FAILED verdict.
        raise self.error

    def runtest(self) -> None:
        """Never reached: setup always raises."""

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.line - 1, self.name

    def error_repr(self) -> TerminalRepr:
        diagnostics = self.error.diagnostics
        count = len(diagnostics)
        first = diagnostics[0].message if count else "invalid experiment"
        more = f" (and {count - 1} more problem{'s' if count > 2 else ''})" if count > 1 else ""
        shown = self.config.stash[SETTINGS].shown(self.path)
        lines = [
            f"invalid experiment: {count} problem{'s' if count != 1 else ''}",
            "",
            *self.error.render().splitlines(),
            "",
            f"check experiments with: chaos-arena validate {shown}",
        ]
        path = diagnostics[0].path if count and diagnostics[0].path else str(shown)
        return finding_repr(path, self.line, f"{first}{more}", lines)


def _register_marker(config: pytest.Config, name: str) -> None:
    """Register a YAML tag as a marker, so `--strict-markers` accepts it."""
    known = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    if name not in known:
        config.addinivalue_line("markers", f"{name}: {TAG_HELP}")


def record(item: pytest.Item, summary: RunSummary) -> None:
    """Keep a run for the session's report and the JUnit properties."""
    item.stash.setdefault(RUNS, []).append(summary)
    item.user_properties.extend(junit_properties(summary))


JUNIT_COUNTS = (*SHOWN_COUNTS, "unexpected")


def junit_properties(summary: RunSummary) -> list[tuple[str, object]]:
    """`chaos.*` properties for the JUnit testcase (they survive xdist and xunit2)."""
    properties: list[tuple[str, object]] = [
        ("chaos.experiment", summary.experiment),
        ("chaos.system", summary.system),
        ("chaos.seed", summary.seed),
        ("chaos.verdict", summary.verdict),
        ("chaos.expected", summary.expected),
        ("chaos.as_expected", str(summary.as_expected).lower()),
        ("chaos.reason", summary.reason),
        ("chaos.source", f"{summary.path}:{summary.line}"),
    ]
    properties.extend(
        (f"chaos.{key}", summary.counts[key]) for key in JUNIT_COUNTS if key in summary.counts
    )
    if summary.success_rate is not None:
        properties.append(("chaos.success_rate", round(summary.success_rate, 6)))
    if summary.p99 is not None:
        properties.append(("chaos.p99_seconds", round(summary.p99, 6)))
    if summary.counts:
        properties.append(("chaos.db_throttles", summary.db_throttles))
    return properties


def finding_repr(path: str, line: int, headline: str, lines: list[str]) -> TerminalRepr:
    """A real ExceptionChainRepr whose only entry points at the YAML line.

    It survives xdist's report serialization intact, so the controller's short summary and
    JUnit message show `headline`, and editors can jump to `path:line` (reference doc 5.5).
    The "value" style writes the lines as they are (no Python syntax highlighting).
    """
    from _pytest._code.code import (
        ExceptionChainRepr,
        ReprEntry,
        ReprFileLocation,
        ReprTraceback,
    )

    location = ReprFileLocation(path, line, headline)
    entry = ReprEntry(lines, None, None, location, "value")
    return ExceptionChainRepr(
        [(ReprTraceback([entry], None, "value"), ReprFileLocation(path, line, headline), None)]
    )
