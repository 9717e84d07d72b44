"""Units as written in experiment files: durations, rates, percentages and sizes.

Every quantity carries its unit (`250ms`, `20/s`, `1%`, `1KB`), so no meaning depends on a
value's shape. Parsers raise `UnitError` with the expected form (and, for a near miss such as
`5min`, the spelling that was probably meant); the spec layer turns it into a located
diagnostic. Pure functions, standard library only.
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
# Decimal digits, with an exponent if wanted: `1e12/s` is the rate `1000000000000/s` is, so
# an integer and a float spelling of one quantity mean the same (and meet the same limits).
_NUMBER = r"((?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?)"
_DURATION_RE = re.compile(rf"^{_NUMBER}\s*(ms|s|m|h|d)$")
# A compound duration names each unit at most once, largest first (`1h5m`, `1m30s`,
# `2s500ms`), as Go's time.ParseDuration and systemd write them; `m(?!s)` keeps the `m` of
# `ms` from being read as minutes.
_COMPOUND_ORDER = ("d", "h", "m", "s", "ms")
_COMPOUND_RE = re.compile(
    r"^(?=[\d.])"
    + "".join(
        rf"(?:{_NUMBER}\s*{'m(?!s)' if unit == 'm' else unit}\s*)?" for unit in _COMPOUND_ORDER
    )
    + "$"
)
_RATE_RE = re.compile(rf"^{_NUMBER}\s*/\s*(s|m|h)$")
_PERCENT_RE = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)\s*%$")  # 0 to 100: no exponent needed
_SIZE_RE = re.compile(rf"^{_NUMBER}\s*(b|kb|kib|mb|mib)$", re.IGNORECASE)
_NEAR_MISS_RE = re.compile(rf"^{_NUMBER}\s*(?:/|per\s+)?\s*([a-z]+)$", re.IGNORECASE)

# Spellings people reach for first, mapped to ours; used only to suggest, never to accept,
# so there stays one way to write each quantity.
_DURATION_ALIASES = {
    "msec": "ms",
    "msecs": "ms",
    "millis": "ms",
    "millisecond": "ms",
    "milliseconds": "ms",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "day": "d",
    "days": "d",
}
_RATE_ALIASES = {
    "sec": "s",
    "second": "s",
    "rps": "s",
    "min": "m",
    "minute": "m",
    "rpm": "m",
    "hr": "h",
    "hour": "h",
}
_SIZE_ALIASES = {"k": "KB", "kib": "KiB", "m": "MB", "byte": "B", "bytes": "B"}

DURATION_FORM = (
    "a number with a unit: 250ms, 30s, 5m, 1h or 2d, or units combined largest first: 1m30s"
)
RATE_FORM = "requests per unit of time: 20/s, 600/m or 1000/h"
PERCENT_FORM = "a percentage such as 1% or a fraction from 0 to 1 such as 0.01"
SIZE_FORM = "a size with a unit: 512B, 1KB, 4KiB or 1MB"


class UnitError(ValueError):
    """A value that does not have the expected unit or range.

    Attributes:
        expected: the accepted form, with examples.
        suggestion: the spelling that was probably meant, for a near miss like `5min`.
    """

    def __init__(self, message: str, expected: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.expected = expected
        self.suggestion = suggestion


def _text(value: object, what: str, expected: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        shown = "true or false" if isinstance(value, bool) else _kind(value)
        raise UnitError(f"{what} must be text like the examples, not {shown}", expected)
    if isinstance(value, int | float):
        raise UnitError(f"{what} needs a unit; {value} alone is ambiguous", expected)
    return value.strip()


def _kind(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _finite(number: float, text: str, what: str, expected: str) -> float:
    if not math.isfinite(number):
        raise UnitError(f"{text!r} is too large for {what}", expected)
    return number


def _not_matching(
    text: str, what: str, expected: str, aliases: dict[str, str], separator: str = ""
) -> UnitError:
    """The error for text that is not a `what`: negative, a near miss, or just wrong."""
    if text.startswith("-"):
        return UnitError(f"{what} cannot be negative ({text!r})", expected)
    match = _NEAR_MISS_RE.match(text)
    if match is not None and match.group(2).lower() in aliases:
        suggestion = f"{match.group(1)}{separator}{aliases[match.group(2).lower()]}"
        return UnitError(f"{text!r} is not {what}", expected, suggestion)
    return UnitError(f"{text!r} is not {what}", expected)


def parse_duration(value: object) -> float:
    """Seconds in a duration such as `250ms`, `30s`, `5m`, `1h`, `2d`, or a compound one
    such as `1m30s` or `1h5m` (each unit once, largest first)."""
    text = _text(value, "a duration", DURATION_FORM)
    match = _DURATION_RE.match(text)
    if match is not None:
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    elif (compound := _COMPOUND_RE.match(text)) is not None:
        seconds = sum(
            float(number) * _DURATION_UNITS[unit]
            for number, unit in zip(compound.groups(), _COMPOUND_ORDER, strict=True)
            if number is not None
        )
    else:
        raise _not_matching(text, "a duration", DURATION_FORM, _DURATION_ALIASES)
    return _finite(seconds, text, "a duration", DURATION_FORM)


def parse_rate(value: object) -> float:
    """Requests per second in a rate such as `20/s`, `600/m`, `1000/h`."""
    text = _text(value, "a rate", RATE_FORM)
    match = _RATE_RE.match(text)
    if match is None:
        raise _not_matching(text, "a rate", RATE_FORM, _RATE_ALIASES, separator="/")
    per_second = float(match.group(1)) * _RATE_UNITS[match.group(2)]
    return _finite(per_second, text, "a rate", RATE_FORM)


def parse_fraction(value: object) -> float:
    """A fraction from 0 to 1, written `1%` or `0.01`."""
    if isinstance(value, bool):
        raise UnitError("a percentage cannot be true or false", PERCENT_FORM)
    if isinstance(value, int | float):
        fraction = float(value)
    elif isinstance(value, str) and (match := _PERCENT_RE.match(value.strip())):
        fraction = float(match.group(1)) / 100
    elif isinstance(value, str) and value.strip().startswith("-"):
        raise UnitError(f"a percentage cannot be negative ({value.strip()!r})", PERCENT_FORM)
    else:
        shown = repr(value) if isinstance(value, str) else _kind(value)
        raise UnitError(f"{shown} is not a percentage", PERCENT_FORM)
    if math.isnan(fraction) or not 0.0 <= fraction <= 1.0:
        raise UnitError(f"{value!r} is outside 0% to 100%", PERCENT_FORM)
    return fraction


def parse_size(value: object) -> int:
    """Bytes in a size such as `512B`, `1KB`, `4KiB`."""
    text = _text(value, "a size", SIZE_FORM)
    match = _SIZE_RE.match(text)
    if match is None:
        raise _not_matching(text, "a size", SIZE_FORM, _SIZE_ALIASES)
    size = float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]
    return round(_finite(size, text, "a size", SIZE_FORM))


def format_duration(seconds: float) -> str:
    """The shortest exact spelling of a duration, for messages and reports."""
    if seconds == 0:
        return "0s"
    if not math.isfinite(seconds):
        return f"{seconds}s"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        count = seconds / size
        if count >= 1 and abs(count - round(count)) < 1e-9:
            return f"{round(count)}{unit}"
    if seconds >= 1:
        return f"{_number(seconds)}s"
    return f"{_number(seconds * 1000)}ms"


def format_rate(per_second: float) -> str:
    """A rate as written in files: per second unless per minute or hour is exact and shorter."""
    if not math.isfinite(per_second) or per_second == 0 or per_second >= 1:
        return f"{_number(per_second)}/s"
    for unit, size in (("m", 60.0), ("h", 3600.0)):
        count = per_second * size
        if abs(count - round(count)) < 1e-9:
            return f"{round(count)}/{unit}"
    return f"{_number(per_second)}/s"


def format_percent(fraction: float) -> str:
    """A fraction as a percentage: `0.05` -> `5%`."""
    return f"{_number(fraction * 100)}%"


def format_size(size: float) -> str:
    """A size as written in files: `1KB`, `512B`."""
    for unit, scale in (("MB", 1000**2), ("KB", 1000)):
        if size >= scale and size % scale == 0:
            return f"{_number(size // scale)}{unit}"
    return f"{_number(size)}B"


def _number(value: float) -> str:
    """Plain decimal digits, as the parsers accept them (never `1e+06`)."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value):
        return str(int(value))
    return f"{value:.9f}".rstrip("0").rstrip(".")
