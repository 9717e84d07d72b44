"""Ranges of a `search:` space: `LO..HI` with the units of the value they stand for.

`30s..5m` (a duration), `1%..50%` (a fraction), `5/s..20/s` (a rate), `2..10` (a whole
number). A range is a grid of `steps + 1` values from its first bound to its second; a search
draws a step index, so shrinking the index moves the value toward the **first** bound
(write `10..2` to shrink toward 10). Values come back written as a file writes them (`90s`,
`12.5%`, `15/s`, `7`), so a found experiment is a plain, valid experiment file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chaos._spec import units

RANGE_FORM = "a range 'LO..HI' with units: 30s..5m, 1%..50%, 5/s..20/s or 2..10"
_INTEGER_RE = re.compile(r"^\s*-?\d+\s*$")
DURATION_STEPS = 1.0
"""Durations step by whole seconds (by milliseconds when a bound is not whole)."""
FRACTION_STEP = 0.001
"""Fractions step by 0.1%."""
RATE_STEP = 0.1
"""Rates step by 0.1/s."""


class RangeKind(StrEnum):
    INTEGER = "integer"
    DURATION = "duration"
    FRACTION = "fraction"
    RATE = "rate"


class RangeError(ValueError):
    """A range that does not parse; the message says why, `RANGE_FORM` what would."""


@dataclass(frozen=True)
class Range:
    """A grid of values from `first` to `second` (base units), `steps` apart."""

    kind: RangeKind
    first: float
    second: float
    steps: int

    def value(self, step: int) -> float:
        """The value at a step index, 0 being `first`."""
        if self.steps == 0:
            return self.first
        exact = self.first + (self.second - self.first) * step / self.steps
        return round(exact, 9)

    def written(self, step: int) -> Any:
        """The value at `step` as a file writes it."""
        value = self.value(step)
        match self.kind:
            case RangeKind.INTEGER:
                return int(value)
            case RangeKind.DURATION:
                return units.format_duration(value)
            case RangeKind.FRACTION:
                return f"{round(value * 100, 6):g}%"
            case RangeKind.RATE:
                return units.format_rate(value)


def _bounds(text: str) -> tuple[str, str] | None:
    parts = [part.strip() for part in text.split("..")]
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def is_range(value: Any) -> bool:
    """Is this a range as written (`LO..HI`)? (Checked before any other reading of it.)"""
    return isinstance(value, str) and _bounds(value) is not None


def parse_range(text: str) -> Range:
    """`30s..5m` -> a duration range from 30 to 300 seconds; RangeError when it is not one."""
    bounds = _bounds(text)
    if bounds is None:
        raise RangeError(f"{text!r} is not a range")
    first_text, second_text = bounds
    kind = _kind(first_text)
    if _kind(second_text) is not kind:
        raise RangeError(f"the bounds of {text!r} are not the same kind of value")
    try:
        first, second = _parse(kind, first_text), _parse(kind, second_text)
    except units.UnitError as error:
        raise RangeError(str(error)) from None
    return Range(kind, first, second, _steps(kind, first, second))


def _kind(bound: str) -> RangeKind:
    if _INTEGER_RE.match(bound):
        return RangeKind.INTEGER
    if bound.strip().endswith("%"):
        return RangeKind.FRACTION
    if "/" in bound:
        return RangeKind.RATE
    return RangeKind.DURATION


def _parse(kind: RangeKind, bound: str) -> float:
    match kind:
        case RangeKind.INTEGER:
            return float(int(bound))
        case RangeKind.FRACTION:
            return units.parse_fraction(bound)
        case RangeKind.RATE:
            return units.parse_rate(bound)
        case RangeKind.DURATION:
            return units.parse_duration(bound)


def _steps(kind: RangeKind, first: float, second: float) -> int:
    span = abs(second - first)
    match kind:
        case RangeKind.INTEGER:
            return round(span)
        case RangeKind.FRACTION:
            return round(span / FRACTION_STEP)
        case RangeKind.RATE:
            return round(span / RATE_STEP)
        case RangeKind.DURATION:
            whole = all(abs(b - round(b)) < 1e-9 for b in (first, second))
            return round(span / DURATION_STEPS) if whole else math.ceil(span * 1000)


def ranges_in(
    value: Any, loc: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every range string in a nested mapping or list, with its location."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from ranges_in(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from ranges_in(item, (*loc, index))
    elif is_range(value):
        yield loc, value


def corner(value: Any, which: int) -> Any:
    """`value` with every range replaced by its first (0) or second (1) bound, as written."""
    if isinstance(value, dict):
        return {key: corner(item, which) for key, item in value.items()}
    if isinstance(value, list):
        return [corner(item, which) for item in value]
    if is_range(value):
        parsed = parse_range(value)
        return parsed.written(0 if which == 0 else parsed.steps)
    return value


__all__ = [
    "RANGE_FORM",
    "Range",
    "RangeError",
    "RangeKind",
    "corner",
    "is_range",
    "parse_range",
    "ranges_in",
]
