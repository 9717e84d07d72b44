"""Compact text charts for timelines: sparklines, fault-window bars and a time axis.

Pure string functions of numbers, so they can be tested without a console. Every chart of a
timeline has the same width and maps column j to the same slice of virtual time, which puts
both systems (and the faults) on one time axis.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple

BLOCKS = " ▁▂▃▄▅▆▇█"
ASCII_BLOCKS = " .:-=+*#@"


class Glyphs(NamedTuple):
    """The characters a report draws with, so a non-UTF-8 console gets plain ASCII."""

    dot: str
    """Separates parts of a title."""
    cross: str
    """Marks a verdict that is not the expected one."""
    blocks: str
    """Sparkline levels, lowest (blank) first."""
    mark: str
    """A fault window is active in this column."""
    blank: str
    """No fault in this column."""


UNICODE = Glyphs("·", "✗", BLOCKS, "━", "·")
ASCII = Glyphs("-", "x", ASCII_BLOCKS, "=", ".")


def glyphs_for(encoding: str) -> Glyphs:
    return UNICODE if encoding.lower().replace("-", "").startswith("utf") else ASCII


_TICK_STEPS = (
    0.1,
    0.2,
    0.5,
    1,
    2,
    5,
    10,
    15,
    20,
    30,
    60,
    120,
    300,
    600,
    900,
    1200,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    86400,
)
_MIN_TICK_SPACING = 10
"""Characters between time-axis labels: enough for `1h30m` and some air."""


def resample(values: Sequence[float], width: int, *, how: Literal["mean", "max"]) -> list[float]:
    """`width` columns from `values`; each column aggregates the values it covers."""
    count = len(values)
    if count == 0 or width <= 0:
        return [0.0] * max(width, 0)
    columns = []
    for column in range(width):
        low = column * count // width
        high = max(low + 1, (column + 1) * count // width)
        chunk = values[low:high]
        columns.append(max(chunk) if how == "max" else sum(chunk) / len(chunk))
    return columns


def sparkline(values: Iterable[float], scale: float, *, blocks: str = BLOCKS) -> str:
    """One character per value; any value above zero shows at least the lowest block."""
    top = len(blocks) - 1
    out = []
    for value in values:
        if value <= 0 or scale <= 0:
            out.append(blocks[0])
            continue
        level = math.ceil(min(value, scale) / scale * top)
        out.append(blocks[max(1, level)])
    return "".join(out)


def window_bar(
    spans: Iterable[tuple[float, float]],
    duration: float,
    width: int,
    *,
    mark: str = "━",
    blank: str = " ",
) -> str:
    """`mark` in every column whose slice of time overlaps one of the spans."""
    cells = [blank] * width
    if duration <= 0:
        return "".join(cells)
    for start, end in spans:
        first = max(0, math.floor(start / duration * width))
        last = min(width, math.ceil(end / duration * width))
        if first >= width:
            continue
        # A window shorter than a column still gets one, or it would vanish from the chart.
        for column in range(first, max(last, first + 1)):
            cells[column] = mark
    return "".join(cells)


def tick_step(duration: float, width: int) -> float:
    """The smallest round step that keeps the axis labels `_MIN_TICK_SPACING` apart."""
    for step in _TICK_STEPS:
        if duration / step * _MIN_TICK_SPACING <= width:
            return float(step)
    return float(_TICK_STEPS[-1])


def time_axis(duration: float, width: int) -> str:
    """Labels (`0s`, `30s`, `1m`...) at their columns; the last one ends at the right edge."""
    cells = [" "] * width
    if width <= 0 or duration <= 0:
        return "".join(cells)
    step = tick_step(duration, width)
    free_from = 0
    ticks = math.floor(duration / step + 1e-9)
    for index in range(ticks + 1):
        label = clock(index * step)
        column = round(index * step / duration * width)
        column = min(column, width - len(label))
        if column < free_from or column < 0:
            continue
        cells[column : column + len(label)] = label
        free_from = column + len(label) + 1
    return "".join(cells)


def clock(seconds: float) -> str:
    """`0s`, `45s`, `1m30s`, `2h`, `0.5s`: short labels for a time axis."""
    if seconds < 1:
        return "0s" if seconds <= 0 else f"{seconds:g}s"
    if seconds != int(seconds):
        return f"{seconds:g}s"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    return "".join(f"{value}{unit}" for value, unit in parts if value) or "0s"


def compact(number: float) -> str:
    """At most five characters: `950`, `9,999`, `12.3k`, `123k`, `1.2M`."""
    if number < 10_000:
        return f"{number:,.0f}"
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if number >= size:
            value = number / size
            return f"{value:.1f}{suffix}" if value < 100 else f"{value:.0f}{suffix}"
    return f"{number:.0f}"


def seconds_text(seconds: float | None) -> str:
    """A latency in a few characters: `850ms`, `1.2s`, `12s`, `3m20s`; `-` when unknown."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    return clock(round(seconds))


def rate_text(per_second: float) -> str:
    """`0.5/s`, `12/s`, `1.2k/s`."""
    if per_second < 10:
        return f"{per_second:.1f}/s"
    return f"{compact(per_second)}/s"
