"""Reporting for one `chaos-arena run`: journals as runs finish, the report at the end.

The CLI runs the experiments and hands each `Outcome` here; this module keeps the summaries,
writes journals, draws the terminal report (rich on a terminal, plain text elsewhere) and
writes the report files. It decides nothing about exit codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, RenderableType

from chaos._report.data import RunSummary
from chaos._report.failure import DEFAULT_STORIES
from chaos._report.files import write_reports
from chaos._report.journal import journaled_summary
from chaos._report.terminal import print_report, render_text

if TYPE_CHECKING:
    from chaos._engine.runner import Outcome


class ReportSession:
    """Collects outcomes of one command and reports them once."""

    def __init__(
        self,
        kinds: Iterable[str],
        *,
        reports_dir: Path,
        journal: Path | None = None,
        stories: int | None = DEFAULT_STORIES,
    ) -> None:
        self.kinds = frozenset(kinds)
        self.stories = stories
        """Request stories per finding in the report (the journals keep them all)."""
        self.reports_dir = reports_dir
        self.journal = journal
        self.summaries: list[RunSummary] = []

    def add(self, outcome: Outcome) -> None:
        self.summaries.append(journaled_summary(outcome, self.journal))

    def add_summary(self, summary: RunSummary) -> None:
        """A run that happened elsewhere (a worker process), journal already written."""
        self.summaries.append(summary)

    def finish(
        self,
        console: Console,
        *,
        preface: Sequence[RenderableType] = (),
        preface_markdown: str = "",
    ) -> list[Path]:
        """Print the terminal report (if asked) and write the files; the paths written.
        `preface` comes first in the terminal, SVG and HTML reports (`preface_markdown`
        in the Markdown one): what a many-seed run adds up."""
        if "terminal" in self.kinds and self.summaries:
            for renderable in preface:
                console.print(renderable)
                console.print()
            show(console, self.summaries, stories=self.stories)
        written = write_reports(
            self.summaries,
            self.kinds,
            self.reports_dir,
            stories=self.stories,
            preface=preface,
            preface_markdown=preface_markdown,
        )
        for path in written:
            console.print(
                f"chaos-arena: wrote {path}", markup=False, highlight=False, soft_wrap=True
            )
        return written


def show(
    console: Console, summaries: list[RunSummary], *, stories: int | None = DEFAULT_STORIES
) -> None:
    """The report on `console`: rich on a terminal; plain, trimmed text for logs and pipes."""
    if console.is_terminal:
        print_report(console, summaries, findings=True, stories=stories)
        return
    text = render_text(summaries, width=console.width, color=False, findings=True, stories=stories)
    console.file.write(text)
    console.file.flush()
