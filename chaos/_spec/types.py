"""Pydantic field types for the unit-carrying quantities of `units`.

Each type validates from the written form, stores plain numbers (seconds, requests per
second, fractions, bytes) and publishes a JSON Schema fragment that editors can use. Where a
value must be above zero, the schema's pattern says so too, so an editor flags `0/s`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, Strict, ValidationInfo, WithJsonSchema

from chaos._spec import units
from chaos._spec.base import spec_error

YAML_CONTEXT = {"source": "yaml"}
"""Validation context of files: there a bare number has no unit and is refused. From Python,
numbers are taken in base units (seconds, requests per second, bytes)."""


def _checked(parse: Callable[[object], Any], kind: str) -> Callable[[object, ValidationInfo], Any]:
    def validate(value: object, info: ValidationInfo) -> Any:
        from_file = isinstance(info.context, dict) and info.context.get("source") == "yaml"
        if not from_file and isinstance(value, int | float) and not isinstance(value, bool):
            return value
        try:
            return parse(value)
        except units.UnitError as error:
            hint = f"expected {error.expected}"
            if error.suggestion is not None:
                hint = f"did you mean {error.suggestion!r}? {hint}"
            raise spec_error(kind, str(error), hint) from None

    return validate


_EXPONENT = r"([eE][+-]?\d+)?"
_ANY = rf"(\d+(\.\d+)?|\.\d+){_EXPONENT}"
# Above zero: some non-zero digit somewhere in the number (any exponent keeps it so).
_POSITIVE = rf"(\d*[1-9]\d*(\.\d+)?|\d+\.\d*[1-9]\d*|\.\d*[1-9]\d*){_EXPONENT}"
_DURATION_UNIT = r"\s*(ms|s|m|h|d)\s*$"
# Compound durations (`1m30s`): each unit at most once, largest first, as units.parse_duration
# reads them. `m(?!s)` keeps the `m` of `ms` from being taken for minutes.
_COMPOUND_DURATION = (
    r"(?=[\d.])"
    + "".join(rf"({_ANY}\s*{unit}\s*)?" for unit in ("d", "h", "m(?!s)", "s", "ms"))
    + "$"
)
# Above zero: not only zeros, points, exponents, units and spaces.
_NOT_ZERO = r"(?!([\s0.]|[eE][+-]?\d+|ms|s|m|h|d)*$)"
_RATE_UNIT = r"\s*/\s*(s|m|h)\s*$"
# 0% to 100%: two digits at most before the point, or exactly 100.
_PERCENT_PATTERN = r"^\s*(100(\.0+)?|\d{1,2}(\.\d+)?|\.\d+)\s*%\s*$"
_SIZE_PATTERN = rf"^\s*{_ANY}\s*([bB]|[kK][bB]|[kK][iI][bB]|[mM][bB]|[mM][iI][bB])\s*$"


def _string_schema(pattern: str, description: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern, "description": description})


Duration = Annotated[
    float,
    BeforeValidator(_checked(units.parse_duration, "duration")),
    _string_schema(rf"^\s*({_ANY}{_DURATION_UNIT}|{_COMPOUND_DURATION})", units.DURATION_FORM),
]
"""Seconds, written with a unit (`250ms`, `30s`, `5m`)."""

PositiveDuration = Annotated[
    float,
    BeforeValidator(_checked(units.parse_duration, "duration")),
    Field(gt=0),
    _string_schema(
        rf"^\s*({_POSITIVE}{_DURATION_UNIT}|{_NOT_ZERO}{_COMPOUND_DURATION})",
        "a duration above zero: 250ms, 30s, 5m, 1h, 2d or 1m30s",
    ),
]
"""Seconds, above zero."""

Rate = Annotated[
    float,
    BeforeValidator(_checked(units.parse_rate, "rate")),
    Field(gt=0),
    _string_schema(rf"^\s*{_POSITIVE}{_RATE_UNIT}", "a rate above zero: 20/s, 600/m or 1000/h"),
]
"""Requests per second, written `20/s` or `600/m`; always above zero."""

NonNegativeRate = Annotated[
    float,
    BeforeValidator(_checked(units.parse_rate, "rate")),
    Field(ge=0),
    _string_schema(rf"^\s*{_ANY}{_RATE_UNIT}", units.RATE_FORM),
]
"""Requests per second, zero allowed: where a ramp starts or ends."""

PERCENT_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": _PERCENT_PATTERN},
        {"type": "number", "minimum": 0, "maximum": 1},
    ],
    "description": units.PERCENT_FORM,
}
"""The JSON Schema of a fraction (`5%` or `0.05`)."""

Fraction = Annotated[
    float,
    BeforeValidator(_checked(units.parse_fraction, "fraction")),
    WithJsonSchema(PERCENT_SCHEMA),
]
"""A fraction from 0 to 1, written `5%` or `0.05`."""

Size = Annotated[
    int,
    BeforeValidator(_checked(units.parse_size, "size")),
    _string_schema(_SIZE_PATTERN, units.SIZE_FORM),
]
"""Bytes, written `512B`, `1KB`, `4KiB`."""

Integer = Annotated[int, Strict()]
"""A whole number as written: YAML's `yes` or `7.5` is not silently taken for 1 or 7."""

PATTERN_FORMS: dict[str, str] = {}
"""What each name pattern means in words, for messages: regular expressions are not help."""


def named_pattern(pattern: str, form: str) -> Any:
    """A string constraint that the diagnostics can explain as `form`."""
    PATTERN_FORMS[pattern] = form
    return Field(pattern=pattern, description=form)


Slug = Annotated[
    str,
    named_pattern(
        r"^[a-z0-9][a-z0-9_-]*$",
        "lower-case letters, digits, '-' and '_', starting with a letter or digit",
    ),
    Field(min_length=1, max_length=80),
]
"""A name usable in test ids and file names."""


ThrottleCode = Literal[
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"
]
"""DynamoDB's throttling errors, all HTTP 400 and retried by the SDKs (aws-semantics.md 5.4)."""
