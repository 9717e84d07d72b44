"""Units as written in experiment files: durations, rates, percentages and sizes.

Every quantity carries its unit (`250ms`, `20/s`, `1%`, `1KB`), so no meaning depends on a
value's shape. Parsers raise `UnitError` with the expected form; the spec layer turns it into
a located diagnostic. Pure functions, standard library only.
"""

from __future__ import annotations

import math
import re

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_RATE_UNITS = {"s": 1.0, "m": 1 / 60, "h": 1 / 3600}
_SIZE_UNITS = {
    "b": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
}
_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)"
_DURATION_RE = re.compile(rf"^{_NUMBER}\s*(ms|s|m|h|d)$")
_RATE_RE = re.compile(rf"^{_NUMBER}\s*/\s*(s|m|h)$")
_PERCENT_RE = re.compile(rf"^{_NUMBER}\s*%$")
_SIZE_RE = re.compile(rf"^{_NUMBER}\s*(b|kb|kib|mb|mib)$", re.IGNORECASE)

DURATION_FORM = "a number with a unit: 250ms, 30s, 5m, 1h or 2d"
RATE_FORM = "requests per unit of time: 20/s, 600/m or 1000/h"
PERCENT_FORM = "a percentage such as 1% or a fraction from 0 to 1 such as 0.01"
SIZE_FORM = "a size with a unit: 512B, 1KB, 4KiB or 1MB"


class UnitError(ValueError):
    """A value that does not have the expected unit or range."""

    def __init__(self, message: str, expected: str) -> None:
        super().__init__(message)
        self.expected = expected


def _text(value: object, what: str, expected: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UnitError(f"{what} must be text like the examples, not {type(value).__name__}",
                        expected)
    if isinstance(value, int | float):
        raise UnitError(f"{what} needs a unit; {value} alone is ambiguous", expected)
    return value.strip()


def parse_duration(value: object) -> float:
    """Seconds in a duration such as `250ms`, `30s`, `5m`, `1h`, `2d`."""
    text = _text(value, "a duration", DURATION_FORM)
    match = _DURATION_RE.match(text)
    if match is None:
        raise UnitError(f"{text!r} is not a duration", DURATION_FORM)
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


def parse_rate(value: object) -> float:
    """Requests per second in a rate such as `20/s`, `600/m`, `1000/h`."""
    text = _text(value, "a rate", RATE_FORM)
    match = _RATE_RE.match(text)
    if match is None:
        raise UnitError(f"{text!r} is not a rate", RATE_FORM)
    return float(match.group(1)) * _RATE_UNITS[match.group(2)]


def parse_fraction(value: object) -> float:
    """A fraction from 0 to 1, written `1%` or `0.01`."""
    if isinstance(value, bool):
        raise UnitError("a percentage cannot be true or false", PERCENT_FORM)
    if isinstance(value, int | float):
        fraction = float(value)
    elif isinstance(value, str) and (match := _PERCENT_RE.match(value.strip())):
        fraction = float(match.group(1)) / 100
    else:
        raise UnitError(f"{value!r} is not a percentage", PERCENT_FORM)
    if not 0.0 <= fraction <= 1.0 or math.isnan(fraction):
        raise UnitError(f"{value!r} is outside 0% to 100%", PERCENT_FORM)
    return fraction


def parse_size(value: object) -> int:
    """Bytes in a size such as `512B`, `1KB`, `4KiB`."""
    text = _text(value, "a size", SIZE_FORM)
    match = _SIZE_RE.match(text)
    if match is None:
        raise UnitError(f"{text!r} is not a size", SIZE_FORM)
    return round(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])


def format_duration(seconds: float) -> str:
    """The shortest exact spelling of a duration, for messages and reports."""
    if seconds == 0:
        return "0s"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        count = seconds / size
        if count >= 1 and abs(count - round(count)) < 1e-9:
            return f"{round(count)}{unit}"
    if seconds >= 1:
        return f"{seconds:g}s"
    return f"{seconds * 1000:g}ms"
