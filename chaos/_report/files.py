"""The files written for CI and people: Markdown, SVG and HTML.

Both front ends (the CLI's `--report`, pytest's `--chaos-report`) write the same files. SVG
and HTML are the terminal report recorded by rich at a fixed width, so the picture in a CI
artefact does not depend on the runner's terminal.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from rich.console import Console, RenderableType

from chaos._report.data import RunSummary
from chaos._report.failure import DEFAULT_STORIES
from chaos._report.journal import write_atomically
from chaos._report.kinds import REPORT_KINDS, parse_kinds
from chaos._report.markdown import append_step_summary, markdown
from chaos._report.terminal import print_report

__all__ = [
    "FILE_NAMES",
    "REPORT_KINDS",
    "parse_kinds",
    "recorded",
    "write_recorded",
    "write_reports",
]

FILE_NAMES = {"markdown": "chaos-report.md", "svg": "chaos-report.svg", "html": "chaos-report.html"}
EXPORT_WIDTH = 120


def write_reports(
    summaries: Sequence[RunSummary],
    kinds: Iterable[str],
    directory: Path,
    *,
    stories: int | None = DEFAULT_STORIES,
    preface: Sequence[RenderableType] = (),
    preface_markdown: str = "",
) -> list[Path]:
    """Write the file kinds among `kinds` into `directory`; the paths written.

    Markdown is also appended to `$GITHUB_STEP_SUMMARY` when that is set. SVG and HTML show
    `stories` request stories per finding, as the terminal does. `preface` (and
    `preface_markdown` for Markdown) comes before the per-run report: what a command that
    runs many seeds adds up.
    """
    if not summaries:
        return []

    def draw(console: Console) -> None:
        for renderable in preface:
            console.print(renderable)
            console.print()
        print_report(console, summaries, findings=True, stories=stories)

    return write_recorded(
        draw, kinds, directory, markdown_text=lambda: preface_markdown + markdown(summaries)
    )


def write_recorded(
    draw: Callable[[Console], None],
    kinds: Iterable[str],
    directory: Path,
    *,
    markdown_text: Callable[[], str] | None = None,
) -> list[Path]:
    """Write what `draw` prints as the SVG and HTML reports, and `markdown_text()` as the
    Markdown one, for the kinds among `kinds` (a command with a report of its own, such as
    `sweep`, draws its own)."""
    written: list[Path] = []
    wanted = set(kinds) & set(FILE_NAMES)
    if not wanted:
        return written
    directory.mkdir(parents=True, exist_ok=True)
    if "markdown" in wanted and markdown_text is not None:
        text = markdown_text()
        written.append(_write(directory / FILE_NAMES["markdown"], text))
        step_summary = append_step_summary(text)
        if step_summary is not None:
            written.append(step_summary)
    if wanted & {"svg", "html"}:
        console = _recording()
        draw(console)
        if "svg" in wanted:
            svg = console.export_svg(title="chaos-arena", clear=False)
            written.append(_write(directory / FILE_NAMES["svg"], svg))
        if "html" in wanted:
            html = console.export_html(inline_styles=True, clear=False)
            written.append(_write(directory / FILE_NAMES["html"], html))
    return written


def recorded(summaries: Sequence[RunSummary], *, stories: int | None = DEFAULT_STORIES) -> Console:
    """A console that has recorded the full report (findings included), for exports."""
    console = _recording()
    print_report(console, summaries, findings=True, stories=stories)
    return console


def _recording() -> Console:
    """A console at the export width that records what is printed on it."""
    return Console(
        file=io.StringIO(),
        record=True,
        width=EXPORT_WIDTH,
        force_terminal=True,
        no_color=False,
        color_system="truecolor",
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )


def _write(path: Path, text: str) -> Path:
    write_atomically(path, text)
    return path
