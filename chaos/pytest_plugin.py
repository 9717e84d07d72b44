"""pytest plugin: each `*.chaos.yaml` experiment becomes one test item per system.

Registered as the `pytest11` entry point `chaos_arena`, so it loads in every session of an
environment where chaos-arena is installed: importing it is cheap (pytest, the stdlib and
`chaos.api`). The spec loader is imported when an experiment file is collected; the engine
(moto, boto3, SimPy) only when an item runs.

An item passes when the system's verdict is the one the experiment expects. Under
pytest-xdist every worker runs items and writes journals; run summaries ride on the test
reports (`report.chaos_runs`, plain data) to the controller, which builds the run-wide report
once. See ../shared/reference/delivery-checks-and-pytest.md sections 4-6.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chaos import __version__
from chaos.api import UnexpectedVerdict

if TYPE_CHECKING:
    from _pytest._code.code import ExceptionInfo, TerminalRepr

    from chaos.engine.runner import Outcome
    from chaos.errors import SpecError
    from chaos.report.data import RunSummary
    from chaos.spec.loader import LoadedExperiment
    from chaos.systems import ResolvedSystem

MARKER = "chaos"
MARKER_HELP = "chaos(system): a chaos-arena experiment run against one system (`-m chaos`, " \
              "`-m \"chaos(system='eda')\"`)"
TAG_HELP = "tag from chaos-arena experiments (`tags:` in *.chaos.yaml)"
RESERVED_TAGS = frozenset({"parametrize", "usefixtures", "filterwarnings", "skipif"})
"""pytest marks that need arguments: as bare tags they would break collection."""
INVALID_ITEM = "validate"
"""Name of the error item of a file that cannot be loaded: `path::validate`."""

SETTINGS = pytest.StashKey["Settings"]()
RUNS = pytest.StashKey[list["RunSummary"]]()
"""Per item: the runs it made (its experiment, or `chaos_run` calls), for reports."""


# -- options -------------------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaos-arena", "chaos experiments (*.chaos.yaml)")
    group.addoption("--chaos-seed", type=int, metavar="N", dest="chaos_seed",
                    help="run every experiment with this seed instead of its own")
    group.addoption("--chaos-system", metavar="NAME", dest="chaos_system",
                    help="run only this system; items of other systems are deselected")
    group.addoption("--chaos-journal", metavar="DIR", dest="chaos_journal",
                    help="write one JSON journal and ledger per run into DIR "
                         "(ini: chaos_journal)")
    group.addoption("--chaos-report", action="append", metavar="KINDS", dest="chaos_report",
                    help="terminal, markdown, svg, html or none; comma-separated or repeated "
                         "(ini: chaos_report; default: terminal)")
    group.addoption("--chaos-reports-dir", metavar="DIR", dest="chaos_reports_dir",
                    help="where markdown, svg and html reports go (ini: chaos_reports_dir; "
                         "default: reports)")
    group.addoption("--chaos-full-trace", action="store_true", dest="chaos_full_trace",
                    help="on failure, show chaos-arena's traceback, not only the finding")
    parser.addini("chaos_files", type="args", default=["*.chaos.yaml", "*.chaos.yml"],
                  help="file name patterns of chaos-arena experiments")
    parser.addini("chaos_paths", type="paths", default=[],
                  help="collect experiments only under these directories (files named on "
                       "the command line always are); default: wherever pytest looks")
    parser.addini("chaos_report", type="args", default=["terminal"],
                  help="chaos-arena reports: terminal, markdown, svg, html or none")
    parser.addini("chaos_reports_dir", type="string", default="reports",
                  help="directory for chaos-arena's markdown, svg and html reports")
    parser.addini("chaos_journal", type="string", default="",
                  help="directory for chaos-arena's JSON journals (default: none written)")


@dataclass(frozen=True)
class Settings:
    """The session's chaos options, resolved once."""

    seed: int | None
    system: str | None
    journal: Path | None
    kinds: frozenset[str]
    reports_dir: Path
    full_trace: bool
    patterns: tuple[str, ...]
    paths: tuple[Path, ...]
    root: Path
    """The invocation directory: paths in reports and reproduce commands are relative to it."""

    def collects(self, path: Path, *, explicit: bool) -> bool:
        if not any(fnmatch.fnmatch(path.name, pattern) for pattern in self.patterns):
            return False
        return explicit or not self.paths or any(path.is_relative_to(p) for p in self.paths)

    def shown(self, path: Path) -> Path:
        """`path` relative to where pytest was started, when it lies below it."""
        try:
            return path.relative_to(self.root)
        except ValueError:
            return path


def _settings(config: pytest.Config) -> Settings:
    from chaos.report.kinds import parse_kinds

    root = config.invocation_params.dir
    ini_base = config.inipath.parent if config.inipath else config.rootpath
    try:
        kinds = parse_kinds(config.getoption("chaos_report") or config.getini("chaos_report"))
    except ValueError as error:
        raise pytest.UsageError(f"--chaos-report: {error}") from None
    journal = _directory(config.getoption("chaos_journal"), root) or \
        _directory(config.getini("chaos_journal"), ini_base)
    reports_dir = _directory(config.getoption("chaos_reports_dir"), root) or \
        _directory(config.getini("chaos_reports_dir"), ini_base) or root / "reports"
    return Settings(
        seed=config.getoption("chaos_seed"), system=config.getoption("chaos_system"),
        journal=journal, kinds=kinds, reports_dir=reports_dir,
        full_trace=bool(config.getoption("chaos_full_trace")),
        patterns=tuple(config.getini("chaos_files")),
        paths=tuple(Path(p) for p in config.getini("chaos_paths")), root=root,
    )


def _directory(value: str | None, base: Path) -> Path | None:
    return base / value if value else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    settings = _settings(config)
    config.stash[SETTINGS] = settings
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(SessionReport(settings), "chaos-arena-report")


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash[SETTINGS]
    seed = f"--chaos-seed={settings.seed}" if settings.seed is not None else \
        "each experiment's own (override with --chaos-seed N)"
    extras = [f"system {settings.system}"] if settings.system else []
    if settings.journal is not None:
        extras.append(f"journals in {settings.shown(settings.journal)}")
    suffix = "".join(f"; {extra}" for extra in extras)
    return [f"chaos-arena {__version__}: seed {seed}{suffix}"]


# -- collection ----------------------------------------------------------------------------

def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ChaosFile | None:
    settings = parent.config.stash[SETTINGS]
    if not settings.collects(file_path, explicit=parent.session.isinitpath(file_path)):
        return None
    return ChaosFile.from_parent(parent, path=file_path)


class ChaosFile(pytest.File):
    """A `*.chaos.yaml` file: its experiments times their systems, in file order."""

    def collect(self) -> Iterator[pytest.Item]:
        from chaos.api import systems_of
        from chaos.errors import SpecError
        from chaos.spec.loader import LoadedExperiment, load_file

        settings = self.config.stash[SETTINGS]
        shown = settings.shown(self.path)
        try:
            experiments = load_file(self.path)
        except SpecError as error:
            yield InvalidExperiment.from_parent(self, name=INVALID_ITEM,
                                                error=_relocated(error, settings))
            return
        for loaded in experiments:
            try:
                systems = systems_of(loaded)
            except SpecError as error:
                yield InvalidExperiment.from_parent(self, name=loaded.experiment.experiment,
                                                    error=_relocated(error, settings))
                continue
            display = LoadedExperiment(loaded.experiment, shown, loaded.line)
            for system in systems:
                yield ChaosItem.from_parent(self, name=f"{display.experiment.experiment}"
                                            f"[{system.name}]", loaded=display, system=system)


def _relocated(error: SpecError, settings: Settings) -> SpecError:
    """The same problems, with file paths as the user typed them (relative)."""
    from chaos.errors import SpecError

    return SpecError([
        replace(d, path=str(settings.shown(Path(d.path)))) if d.path else d
        for d in error.diagnostics
    ])


class ChaosItem(pytest.Item):
    """One experiment against one system; passes when the verdict is the expected one."""

    def __init__(self, *, loaded: LoadedExperiment, system: ResolvedSystem,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded
        self.system = system
        self.add_marker(pytest.mark.chaos(system=system.name))
        for tag in loaded.experiment.tags:
            if tag not in RESERVED_TAGS:
                _register_marker(self.config, tag)
                self.add_marker(tag)

    def runtest(self) -> None:
        from chaos.engine.runner import run_one
        from chaos.report.data import summarize

        settings = self.config.stash[SETTINGS]
        outcome = run_one(self.loaded, self.system, seed=settings.seed)
        summary = summarize(outcome)
        record(self, outcome, summary)
        if not summary.as_expected:
            raise UnexpectedVerdict(summary, rerun=_rerun(self.nodeid, summary.seed))

    def repr_failure(self, excinfo: ExceptionInfo[BaseException],
                     style: Any = None) -> str | TerminalRepr:
        error = excinfo.value
        if isinstance(error, UnexpectedVerdict) and not self._full_trace():
            return finding_repr(str(self.loaded.path), self.loaded.line, error.headline,
                                error.lines)
        # Start the traceback at this module's runtest, not inside pytest's runner and pluggy.
        excinfo.traceback = excinfo.traceback.cut(path=Path(__file__))
        return super().repr_failure(excinfo, style=style)

    def _full_trace(self) -> bool:
        return self.config.stash[SETTINGS].full_trace

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.loaded.line - 1, self.name


def _rerun(nodeid: str, seed: int) -> str:
    return f"pytest '{nodeid}' --chaos-seed {seed}"


class InvalidExperiment(pytest.Item):
    """The error item of an experiment (or file) that cannot be loaded: its diagnostics."""

    def __init__(self, *, error: SpecError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error
        self.add_marker(pytest.mark.chaos)

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
        lines = [f"invalid experiment: {count} problem{'s' if count != 1 else ''}", "",
                 *self.error.render().splitlines(), "",
                 f"check experiments with: chaos-arena validate {shown}"]
        path = diagnostics[0].path if count and diagnostics[0].path else str(shown)
        return finding_repr(path, self.line, f"{first}{more}", lines)


def _register_marker(config: pytest.Config, name: str) -> None:
    """Register a YAML tag as a marker, so `--strict-markers` accepts it."""
    known = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    if name not in known:
        config.addinivalue_line("markers", f"{name}: {TAG_HELP}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    system = config.stash[SETTINGS].system
    if system is None:
        return
    keep = [i for i in items if not isinstance(i, ChaosItem) or i.system.name == system]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


# -- results -------------------------------------------------------------------------------

def record(item: pytest.Item, outcome: Outcome, summary: RunSummary) -> None:
    """Keep a run for the session's report, JUnit properties and the journal."""
    from chaos.report.journal import write_journal

    item.stash.setdefault(RUNS, []).append(summary)
    item.user_properties.extend(junit_properties(summary))
    journal = item.config.stash[SETTINGS].journal
    if journal is not None:
        write_journal(outcome, journal)


JUNIT_COUNTS = ("sent", "accepted", "completed", "lost", "dead_lettered", "duplicated",
                "expired", "pending", "unexpected")


def junit_properties(summary: RunSummary) -> list[tuple[str, object]]:
    """`chaos.*` properties for the JUnit testcase (they survive xdist and xunit2)."""
    properties: list[tuple[str, object]] = [
        ("chaos.experiment", summary.experiment), ("chaos.system", summary.system),
        ("chaos.seed", summary.seed), ("chaos.verdict", summary.verdict),
        ("chaos.expected", summary.expected),
        ("chaos.as_expected", str(summary.as_expected).lower()),
        ("chaos.reason", summary.reason), ("chaos.source", f"{summary.path}:{summary.line}"),
    ]
    properties.extend((f"chaos.{key}", summary.counts[key])
                      for key in JUNIT_COUNTS if key in summary.counts)
    if summary.success_rate is not None:
        properties.append(("chaos.success_rate", round(summary.success_rate, 6)))
    if summary.p99 is not None:
        properties.append(("chaos.p99_seconds", round(summary.p99, 6)))
    if summary.counts:
        properties.append(("chaos.db_throttles", summary.db_throttles))
    return properties


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None],
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when == "call" and RUNS in item.stash:
        # Plain data: xdist copies report.__dict__ to the controller.
        report.chaos_runs = [s.to_dict() for s in item.stash[RUNS]]  # type: ignore[attr-defined]
    full_trace = item.config.stash[SETTINGS].full_trace
    if (call.when == "setup" and isinstance(item, InvalidExperiment) and not full_trace
            and report.failed):
        report.longrepr = item.error_repr()
    return report


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
    return ExceptionChainRepr([(ReprTraceback([entry], None, "value"),
                                ReprFileLocation(path, line, headline), None)])


# -- the fixture ---------------------------------------------------------------------------

class ChaosRunner:
    """What the `chaos_run` fixture returns: run experiments from a test function."""

    def __init__(self, item: pytest.Item) -> None:
        self.item = item

    def __call__(self, source: Any, system: str, *, seed: int | None = None,
                 name: str | None = None) -> Outcome:
        """Run `source` (YAML text, mapping, Experiment or path) against `system`.

        The seed defaults to --chaos-seed, then the experiment's own. The run joins the
        session's report and journals; assert on the returned `Outcome` as you like, or
        call `chaos.api.check(outcome)` for the standard finding.
        """
        from chaos.api import load, run_loaded
        from chaos.report.data import summarize

        settings = self.item.config.stash[SETTINGS]
        path, line = self._where(source, settings)
        loaded = load(source, name=name, path=path, line=line)
        outcome = run_loaded(loaded, system, seed=settings.seed if seed is None else seed,
                             base_dir=None if isinstance(source, Path) else self.item.path.parent)
        reproduce = None if isinstance(source, Path) else _rerun(self.item.nodeid, outcome.seed)
        record(self.item, outcome, summarize(outcome, reproduce=reproduce))
        return outcome

    def check(self, outcome: Outcome) -> None:
        """`chaos.api.check` with the pytest command that reruns this test."""
        from chaos.api import check

        check(outcome, reproduce=_rerun(self.item.nodeid, outcome.seed))

    def _where(self, source: Any, settings: Settings) -> tuple[Path, int]:
        if isinstance(source, Path):
            return settings.shown(source.resolve()), 1
        _, line, _ = self.item.reportinfo()
        return settings.shown(self.item.path), (line or 0) + 1


@pytest.fixture
def chaos_run(request: pytest.FixtureRequest) -> ChaosRunner:
    """Run chaos experiments from a test: `outcome = chaos_run(yaml_text, "eda")`."""
    return ChaosRunner(request.node)


# -- the session report (controller only) --------------------------------------------------

class SessionReport:
    """Gathers run summaries from test reports and renders the run-wide report once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runs: list[RunSummary] = []
        self.written: list[Path] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "chaos_runs", None)
        if report.when == "call" and data:
            from chaos.report.data import RunSummary

            self.runs.extend(RunSummary.from_dict(d) for d in data)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # Before the terminal reporter's own sessionfinish, which prints the summary.
        if not self.runs or not self.settings.kinds:
            return
        from chaos.report.files import write_reports

        self.written = write_reports(self.runs, self.settings.kinds, self.settings.reports_dir)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.runs:
            return
        if "terminal" in self.settings.kinds:
            from chaos.report.terminal import render_text

            writer = terminalreporter.config.get_terminal_writer()
            text = render_text(self.runs, width=writer.fullwidth, color=writer.hasmarkup)
            terminalreporter.write_line("")
            terminalreporter.write(text)
        for path in self.written:
            terminalreporter.write_line(f"chaos-arena: wrote {self.settings.shown(path)}")

