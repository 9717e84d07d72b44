"""Pydantic field types for the unit-carrying quantities of `units`.

Each type validates from the written form, stores plain numbers (seconds, requests per
second, fractions, bytes) and publishes a JSON Schema fragment that editors can use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from chaos.spec import units


YAML_CONTEXT = {"source": "yaml"}
"""Validation context of files: there a bare number has no unit and is refused. From Python,
numbers are taken in base units (seconds, requests per second, bytes)."""


def _checked(parse: Callable[[object], Any],
             kind: str) -> Callable[[object, ValidationInfo], Any]:
    def validate(value: object, info: ValidationInfo) -> Any:
        from_file = isinstance(info.context, dict) and info.context.get("source") == "yaml"
        if not from_file and isinstance(value, int | float) and not isinstance(value, bool):
            return value
        try:
            return parse(value)
        except units.UnitError as error:
            raise PydanticCustomError(
                kind, "{message}; expected {expected}",
                {"message": str(error), "expected": error.expected},
            ) from None

    return validate


_DURATION_PATTERN = r"^\s*(\d+(\.\d+)?|\.\d+)\s*(ms|s|m|h|d)\s*$"
_RATE_PATTERN = r"^\s*(\d+(\.\d+)?|\.\d+)\s*/\s*(s|m|h)\s*$"
_PERCENT_PATTERN = r"^\s*(\d+(\.\d+)?|\.\d+)\s*%\s*$"
_SIZE_PATTERN = r"^\s*(\d+(\.\d+)?|\.\d+)\s*([bB]|[kK][bB]|[kK][iI][bB]|[mM][bB]|[mM][iI][bB])\s*$"

Duration = Annotated[
    float,
    BeforeValidator(_checked(units.parse_duration, "duration")),
    WithJsonSchema({"type": "string", "pattern": _DURATION_PATTERN,
                    "description": units.DURATION_FORM}),
]
"""Seconds, written with a unit (`250ms`, `30s`, `5m`)."""

PositiveDuration = Annotated[Duration, Field(gt=0)]

Rate = Annotated[
    float,
    BeforeValidator(_checked(units.parse_rate, "rate")),
    Field(gt=0),
    WithJsonSchema({"type": "string", "pattern": _RATE_PATTERN, "description": units.RATE_FORM}),
]
"""Requests per second, written `20/s` or `600/m`; always above zero."""

Fraction = Annotated[
    float,
    BeforeValidator(_checked(units.parse_fraction, "fraction")),
    WithJsonSchema({
        "anyOf": [
            {"type": "string", "pattern": _PERCENT_PATTERN},
            {"type": "number", "minimum": 0, "maximum": 1},
        ],
        "description": units.PERCENT_FORM,
    }),
]
"""A fraction from 0 to 1, written `5%` or `0.05`."""

Size = Annotated[
    int,
    BeforeValidator(_checked(units.parse_size, "size")),
    WithJsonSchema({"type": "string", "pattern": _SIZE_PATTERN, "description": units.SIZE_FORM}),
]
"""Bytes, written `512B`, `1KB`, `4KiB`."""

Slug = Annotated[
    str,
    Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", min_length=1, max_length=80,
          description="lower-case letters, digits, '-' and '_'"),
]
"""A name usable in test ids and file names."""
