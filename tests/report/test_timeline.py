"""The timeline's rates: the true peak per second beside each row, and a burst shorter than
a chart column still drawn at its height (a column's mean would spread it)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from chaos._report.charts import UNICODE
from chaos._report.data import BUCKETS, RunSummary, Timeline, busiest_seconds, summarize
from chaos._report.timeline import timeline_grid
from chaos.api import load, run_loaded

DURATION = 1800.0
STEP = DURATION / BUCKETS  # 7.5 s; at 80 columns a chart column merges 6 buckets, 45 s
BURST_BUCKET = 40  # 300 s


def _arrivals() -> list[float]:
    """1 request a second for 20 minutes, and 1,000 more within one second at 300 s."""
    steady = [float(second) for second in range(1200)]
    burst = [300.0 + index / 1000 for index in range(1000)]
    return sorted(steady + burst)


def _summary(timeline: Timeline, duration: float = DURATION) -> RunSummary:
    return RunSummary(
        experiment="burst",
        path="burst.chaos.yaml",
        line=1,
        system="eda",
        system_index=0,
        architecture="event_driven",
        seed=1,
        verdict="survived",
        expected="survived",
        as_expected=True,
        reason="all 1 assertions held",
        duration=duration,
        timeline=timeline,
    )


def _timeline(*, peaks: bool) -> Timeline:
    times = _arrivals()
    counts = [0] * BUCKETS
    for t in times:
        counts[min(BUCKETS - 1, int(t / STEP))] += 1
    zeros = (0,) * BUCKETS
    return Timeline(
        STEP,
        zeros,
        zeros,
        zeros,
        has_queue=False,
        arrivals=tuple(counts),
        arrival_peaks=busiest_seconds(times, STEP, BUCKETS) if peaks else (),
    )


def _load_row(timeline: Timeline, width: int = 80) -> str:
    grid = timeline_grid([_summary(timeline, timeline.step * BUCKETS)], width - 1, UNICODE)
    assert grid is not None
    console = Console(width=width, no_color=True)
    with console.capture() as captured:
        console.print(grid)
    return next(line for line in captured.get().splitlines() if line.startswith("load"))


def test_busiest_seconds_per_bucket() -> None:
    peaks = busiest_seconds(_arrivals(), STEP, BUCKETS)
    assert peaks[BURST_BUCKET] == 1001  # the burst's second, and that second's steady one
    assert set(peaks[:BURST_BUCKET]) == {1}
    assert set(peaks[BURST_BUCKET + 1 : 160]) == {1}  # every bucket of the steady 20 minutes
    assert set(peaks[160:]) == {0}


def test_buckets_shorter_than_a_second_share_its_count() -> None:
    """A bucket of 0.25 s has 0 or 1 of 2 requests a second; the second's count, 2, is the
    same in each, so steady traffic draws as steady instead of as a comb."""
    times = [second + half for second in range(10) for half in (0.0, 0.5)]
    assert busiest_seconds(times, 0.25, 40) == (2,) * 40


def test_the_timeline_shows_the_true_peak_and_the_burst() -> None:
    row = _load_row(_timeline(peaks=True))
    assert row.endswith("peak 1,001/s")
    chart = row.split()[2]
    assert chart[BURST_BUCKET // 6] == "█"  # the burst's column at full height
    assert set(chart[: BURST_BUCKET // 6]) == {"▁"}  # the steady second, well below it


def test_without_peaks_the_column_mean_hid_the_burst() -> None:
    """What a summary without peaks shows (and every report showed before): the 45 s
    column's mean, 23/s, for a 1,000-request burst."""
    assert _load_row(_timeline(peaks=False)).endswith("peak 23/s")


def test_a_real_run_keeps_its_peaks(tmp_path: Path) -> None:
    loaded = load(
        """\
experiment: short-burst
duration: 2m
systems: [sync]
workload:
  steady: {rate: 1/s, for: 1m}
  bursts: [{rate: 100/s, at: 30s, for: 1s}]
assertions: [no_loss]
""",
        path=tmp_path / "short-burst.chaos.yaml",
    )
    summary = summarize(run_loaded(loaded, "sync"))
    assert summary.timeline is not None
    assert max(summary.timeline.arrival_peaks) == 101
    assert _load_row(summary.timeline).endswith("peak 101/s")
