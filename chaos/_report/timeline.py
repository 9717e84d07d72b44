"""The timeline of one experiment: faults, load, queue depth, client errors and completions.

Every system of the experiment is drawn on the same time axis, each metric on the same
scale across systems (so the event-driven catch-up peak dwarfs the synchronous trickle, as
it should), with the fault windows above them.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from chaos._report import charts
from chaos._report.charts import Glyphs
from chaos._report.data import BUCKETS, RunSummary, Timeline

SERIES = ("queue", "errors", "done")
SERIES_STYLES = {"queue": "cyan", "errors": "red", "done": "green"}
MAX_CHART_WIDTH = 60
"""Wider charts only split the same samples finer: small rates then look like a comb."""
MIN_CHART_WIDTH = 12
MIN_NOTE_WIDTH = 22
MAX_NOTE_WIDTH = 40
"""The right-hand column: peaks and fault labels, truncated beyond this."""


def timeline_grid(runs: Sequence[RunSummary], width: int, glyphs: Glyphs) -> Table | None:
    """The grid for `runs` (one experiment) in `width` columns; None when nothing fits."""
    drawn = [r for r in runs if r.timeline is not None]
    if not drawn:
        return None
    who = max(len("faults"), *(len(r.system) for r in drawn))
    what = len("errors")
    chart = chart_width(width - who - what - MIN_NOTE_WIDTH - 3)
    if chart == 0:
        return None
    note = min(MAX_NOTE_WIDTH, width - who - what - chart - 3)
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(width=who, no_wrap=True)
    grid.add_column(width=what, no_wrap=True)
    grid.add_column(width=chart, no_wrap=True)
    # rich's ellipsis is Unicode: an ASCII console gets the label cut instead.
    grid.add_column(
        max_width=note, no_wrap=True, overflow="crop" if glyphs == charts.ASCII else "ellipsis"
    )
    axis = charts.time_axis(drawn[0].duration, chart)
    grid.add_row(Text("time", style="dim"), "", Text(axis, style="dim"), "")
    _fault_rows(grid, drawn[0], chart, glyphs)
    _load_row(grid, drawn[0], chart, glyphs)
    series = {r.system: _series(r.timeline, chart) for r in drawn if r.timeline}
    scales = {
        name: max((max(s[name], default=0.0) for s in series.values()), default=0.0)
        for name in SERIES
    }
    for run in drawn:
        _system_rows(grid, run, series[run.system], scales, glyphs)
    return grid


def chart_width(available: int) -> int:
    """The widest chart that fits and divides the timeline's buckets evenly.

    Merging a whole number of buckets per column keeps steady traffic looking steady;
    uneven merges alias into a comb pattern. 0 when no useful chart fits.
    """
    for width in range(min(available, MAX_CHART_WIDTH), MIN_CHART_WIDTH - 1, -1):
        if BUCKETS % width == 0:
            return width
    return 0


def _fault_rows(grid: Table, run: RunSummary, width: int, glyphs: Glyphs) -> None:
    """One row per fault type and target (its windows merged), or one saying none."""
    labels: dict[str, list[tuple[float, float]]] = {}
    for span in run.windows:
        labels.setdefault(span.label, []).append((span.start, span.end))
    for index, (label, spans) in enumerate(labels.items()):
        bar = charts.window_bar(spans, run.duration, width, mark=glyphs.mark, blank=glyphs.blank)
        grid.add_row(
            Text("faults" if index == 0 else "", style="bold yellow"),
            "",
            Text(bar, style="yellow"),
            Text(label, style="yellow"),
        )
    if not labels:
        grid.add_row(
            Text("faults", style="bold yellow"),
            "",
            Text(glyphs.blank * width, style="dim"),
            Text("none", style="dim"),
        )


def _load_row(grid: Table, run: RunSummary, width: int, glyphs: Glyphs) -> None:
    """The offered load, drawn once: every system gets the same arrivals from the seed."""
    timeline = run.timeline
    if timeline is None or not timeline.arrivals or timeline.step <= 0:
        return
    rates = _rates(timeline.arrivals, timeline.arrival_peaks, timeline.step, width)
    peak = max(rates, default=0.0)
    grid.add_row(
        Text("load", style="bold blue"),
        Text("sent", style="dim"),
        Text(charts.sparkline(rates, peak, blocks=glyphs.blocks), style="blue"),
        Text(_peak("sent", peak), style="dim"),
    )


def _series(timeline: Timeline, width: int) -> dict[str, list[float]]:
    """Columns per metric: queue depth as a maximum, the counts as rates per second."""
    step = timeline.step
    return {
        "queue": charts.resample(timeline.queue_depth, width, how="max")
        if timeline.has_queue
        else [],
        "errors": _rates(timeline.client_errors, timeline.error_peaks, step, width),
        "done": _rates(timeline.completions, timeline.completion_peaks, step, width),
    }


def _rates(counts: Sequence[int], peaks: Sequence[int], step: float, width: int) -> list[float]:
    """Per column, the busiest second in its slice of time (per second), so the peak beside
    the row is the true one and a burst shorter than a column keeps its height; a column's
    mean would spread a one-second burst over the column (1,000 requests in a second drawn
    as 22/s in a 45 s column). Summaries without peaks fall back to the mean rate."""
    if peaks:
        return [float(v) for v in charts.resample(peaks, width, how="max")]
    per_second = 1 / step if step > 0 else 0.0
    return [v * per_second for v in charts.resample(counts, width, how="mean")]


def _system_rows(
    grid: Table,
    run: RunSummary,
    series: dict[str, list[float]],
    scales: dict[str, float],
    glyphs: Glyphs,
) -> None:
    names = [name for name in SERIES if name != "queue" or series["queue"]]
    for index, name in enumerate(names):
        values = series[name]
        line = charts.sparkline(values, scales[name], blocks=glyphs.blocks)
        grid.add_row(
            Text(run.system if index == 0 else "", style="bold"),
            Text(name, style="dim"),
            Text(line, style=SERIES_STYLES[name]),
            Text(_peak(name, max(values, default=0.0)), style="dim"),
        )


def _peak(name: str, peak: float) -> str:
    if peak <= 0:
        return "none"
    if name == "queue":
        return f"peak {charts.compact(peak)} msgs"
    return f"peak {charts.rate_text(peak)}"
