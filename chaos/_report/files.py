"""The files written for CI and people: Markdown, SVG and HTML.

Both front ends (the CLI's `--report`, pytest's `--chaos-report`) write the same files. SVG
and HTML are the terminal report recorded by rich at a fixed width, so the picture in a CI
artefact does not depend on the runner's terminal.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from rich.console import Console

from chaos._report.data import RunSummary
from chaos._report.failure import DEFAULT_STORIES
from chaos._report.journal import write_atomically
from chaos._report.kinds import REPORT_KINDS, parse_kinds
from chaos._report.markdown import append_step_summary, markdown
from chaos._report.terminal import print_report

__all__ = ["FILE_NAMES", "REPORT_KINDS", "parse_kinds", "recorded", "write_reports"]

FILE_NAMES = {"markdown": "chaos-report.md", "svg": "chaos-report.svg", "html": "chaos-report.html"}
EXPORT_WIDTH = 120


def write_reports(
    summaries: Sequence[RunSummary],
    kinds: Iterable[str],
    directory: Path,
    *,
    stories: int | None = DEFAULT_STORIES,
) -> list[Path]:
    """Write the file kinds among `kinds` into `directory`; the paths written.

    Markdown is also appended to `$GITHUB_STEP_SUMMARY` when that is set. SVG and HTML show
    `stories` request stories per finding, as the terminal does.
    """
    written: list[Path] = []
    wanted = set(kinds) & set(FILE_NAMES)
    if not wanted or not summaries:
        return written
    directory.mkdir(parents=True, exist_ok=True)
    if "markdown" in wanted:
        text = markdown(summaries)
        written.append(_write(directory / FILE_NAMES["markdown"], text))
        step_summary = append_step_summary(text)
        if step_summary is not None:
            written.append(step_summary)
    if wanted & {"svg", "html"}:
        console = recorded(summaries, stories=stories)
        if "svg" in wanted:
            svg = console.export_svg(title="chaos-arena", clear=False)
            written.append(_write(directory / FILE_NAMES["svg"], svg))
        if "html" in wanted:
            html = console.export_html(inline_styles=True, clear=False)
            written.append(_write(directory / FILE_NAMES["html"], html))
    return written


def recorded(summaries: Sequence[RunSummary], *, stories: int | None = DEFAULT_STORIES) -> Console:
    """A console that has recorded the full report (findings included), for exports."""
    console = Console(
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
    print_report(console, summaries, findings=True, stories=stories)
    return console


def _write(path: Path, text: str) -> Path:
    write_atomically(path, text)
    return path
