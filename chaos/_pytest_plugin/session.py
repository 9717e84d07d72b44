"""What spans a session: the `chaos_run` fixture's runner, and the run-wide report that the
controller (or a serial session) builds once from the summaries on the test reports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chaos._pytest_plugin.items import record, rerun_command
from chaos._pytest_plugin.settings import SETTINGS, Settings, session_loader

if TYPE_CHECKING:
    from chaos._decide.seeds import SeedSummary
    from chaos._engine.runner import Outcome
    from chaos._report.data import RunSummary


class ChaosRunner:
    """What the `chaos_run` fixture returns: run experiments from a test function."""

    def __init__(self, item: pytest.Item) -> None:
        self.item = item

    def __call__(
        self, source: Any, system: str, *, seed: int | None = None, name: str | None = None
    ) -> Outcome:
        """Run `source` (YAML text, mapping, Experiment or path) against `system`.

        The seed defaults to --chaos-seed, then the experiment's own. The run joins the
        session's report and journals; assert on the returned `Outcome` as you like, or
        call `chaos.api.check(outcome)` for the standard finding.
        """
        from chaos._report.journal import journaled_summary
        from chaos.api import load_with, run_loaded

        config = self.item.config
        settings = config.stash[SETTINGS]
        path, line = self._where(source, settings)
        loading = session_loader(config)
        loaded = load_with(
            loading,
            source,
            name=name,
            path=path,
            line=line,
            base_dir=None if isinstance(source, Path) else self.item.path.parent,
        )
        outcome = run_loaded(
            loaded,
            system,
            seed=settings.seed if seed is None else seed,
            loading=loading,
        )
        rerun = rerun_command(self.item.nodeid, outcome.seed)
        reproduce = None if isinstance(source, Path) else rerun
        record(self.item, journaled_summary(outcome, settings.journal, reproduce=reproduce))
        return outcome

    def check(self, outcome: Outcome) -> None:
        """`chaos.api.check` with the pytest command that reruns this test."""
        from chaos.api import check

        stories = self.item.config.stash[SETTINGS].stories
        check(outcome, reproduce=rerun_command(self.item.nodeid, outcome.seed), stories=stories)

    def _where(self, source: Any, settings: Settings) -> tuple[Path, int]:
        if isinstance(source, Path):
            return settings.shown(source.resolve()), 1
        _, line, _ = self.item.reportinfo()
        return settings.shown(self.item.path), (line or 0) + 1


class SessionReport:
    """Gathers run summaries from test reports and renders the run-wide report once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runs: list[RunSummary] = []
        self.seeds: list[SeedSummary] = []
        self.written: list[Path] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "chaos_runs", None)
        if report.when == "call" and data:
            from chaos._report.data import RunSummary

            self.runs.extend(RunSummary.from_dict(d) for d in data)
        seeds = getattr(report, "chaos_seeds", None)
        if report.when == "call" and seeds:
            from chaos._decide.seeds import SeedSummary

            self.seeds.extend(SeedSummary.from_dict(d) for d in seeds)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # Before the terminal reporter's own sessionfinish, which prints the summary.
        if not self.runs or not self.settings.kinds:
            return
        from chaos._report.files import write_reports

        preface, text = [], ""
        if self.seeds:
            from chaos._decide.render import seeds_markdown, seeds_section

            preface, text = [seeds_section(self.seeds)], seeds_markdown(self.seeds)
        self.written = write_reports(
            self.runs,
            self.settings.kinds,
            self.settings.reports_dir,
            stories=self.settings.stories,
            preface=preface,
            preface_markdown=text,
        )

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.runs:
            return
        if "terminal" in self.settings.kinds:
            from chaos._report.terminal import render_text

            writer = terminalreporter.config.get_terminal_writer()
            text = render_text(self.runs, width=writer.fullwidth, color=writer.hasmarkup)
            if self.seeds:
                from chaos._decide.render import seeds_section, text_of

                text = (
                    text_of(
                        seeds_section(self.seeds), width=writer.fullwidth, color=writer.hasmarkup
                    )
                    + "\n"
                    + text
                )
            terminalreporter.write_line("")
            terminalreporter.write(text)
        for path in self.written:
            terminalreporter.write_line(f"chaos-arena: wrote {self.settings.shown(path)}")
