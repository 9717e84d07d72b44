"""Text charts: resampling, sparklines, fault bars and the time axis."""

from __future__ import annotations

import pytest

from chaos._report import charts


def test_resample_merges_whole_buckets_by_mean_or_max() -> None:
    values = [0, 2, 4, 6, 8, 10]
    assert charts.resample(values, 3, how="mean") == [1, 5, 9]
    assert charts.resample(values, 3, how="max") == [2, 6, 10]
    assert charts.resample(values, 6, how="mean") == values
    assert charts.resample([], 4, how="max") == [0.0] * 4


def test_sparkline_scales_to_the_peak_and_never_hides_a_nonzero_value() -> None:
    assert charts.sparkline([0, 1, 4, 8], 8) == " ▁▄█"
    assert charts.sparkline([0.01], 100) == "▁"
    assert charts.sparkline([5, 5], 0) == "  "
    assert charts.sparkline([0, 8], 8, blocks=charts.ASCII_BLOCKS) == " @"


def test_window_bar_marks_every_column_a_window_touches() -> None:
    assert charts.window_bar([(20, 50)], 100, 10, mark="#", blank=".") == "..###....."
    # A window shorter than a column still shows.
    assert charts.window_bar([(0.1, 0.2)], 100, 10, mark="#", blank=".") == "#........."
    assert charts.window_bar([(95, 100), (0, 10)], 100, 10, mark="#", blank=".") == "#........#"


@pytest.mark.parametrize(
    ("duration", "width", "expected"),
    [
        (120, 40, "0s        30s       1m        1m30s   2m"),
        (40, 40, "0s        10s       20s       30s    40s"),
        (900, 60, "0s                  5m                  10m              15m"),
    ],
)
def test_time_axis_labels_round_ticks(duration: float, width: int, expected: str) -> None:
    axis = charts.time_axis(duration, width)
    assert len(axis) == width
    assert axis.rstrip() == expected


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.5, "0.5s"),
        (45, "45s"),
        (90, "1m30s"),
        (3600, "1h"),
        (5400, "1h30m"),
    ],
)
def test_clock(seconds: float, text: str) -> None:
    assert charts.clock(seconds) == text


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, "0"),
        (950, "950"),
        (9999, "9,999"),
        (12345, "12.3k"),
        (123456, "123k"),
        (1_234_567, "1.2M"),
    ],
)
def test_compact_numbers_fit_five_characters(number: int, text: str) -> None:
    assert charts.compact(number) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0.412, "412ms"),
        (2.31, "2.3s"),
        (31.5, "32s"),
        (95, "1m35s"),
    ],
)
def test_seconds_text(seconds: float | None, text: str) -> None:
    assert charts.seconds_text(seconds) == text


def test_glyphs_follow_the_encoding() -> None:
    assert charts.glyphs_for("utf-8") is charts.UNICODE
    assert charts.glyphs_for("UTF8") is charts.UNICODE
    assert charts.glyphs_for("cp1252") is charts.ASCII
    assert all(glyph.isascii() for glyph in charts.ASCII)
