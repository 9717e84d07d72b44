"""Sets of seeds: `1-50`, `1-5,9`, or a YAML list, for runs repeated over many seeds.

One parser serves the command line (`--seeds`, `--chaos-seeds`) and the experiment's
`seeds:` key, so both accept the same forms and say the same things when they are wrong.
A set keeps the order written, each seed once.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from chaos._spec.base import spec_error

MAX_SEED = 2**63 - 1
MAX_SEEDS = 100_000
"""More runs than anyone waits for; a typo such as `1-1000000000` is caught before it runs."""
SEEDS_FORM = "seeds such as '1-50', '1-5,9' or a list of whole numbers [1, 2, 7]"

_ONE = r"\s*\d+\s*(-\s*\d+\s*)?"
"""One seed or range, for the JSON Schema's patterns."""
_PART = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


class SeedsError(ValueError):
    """A set of seeds that cannot be read; the message says why and what would do."""


def parse_seeds(value: Any) -> tuple[int, ...]:
    """The seeds `value` names, in order, each once: text (`1-50`, `1-5,9`), one whole
    number, or a list of whole numbers and ranges."""
    if isinstance(value, bool):
        raise SeedsError(f"true or false is not a set of seeds; write {SEEDS_FORM}")
    if isinstance(value, int):
        parts: list[Any] = [value]
    elif isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise SeedsError(f"{type(value).__name__} is not a set of seeds; write {SEEDS_FORM}")
    seeds: dict[int, None] = {}
    for part in parts:
        for seed in _one_part(part):
            seeds[seed] = None
            if len(seeds) > MAX_SEEDS:
                raise SeedsError(f"more than {MAX_SEEDS:,} seeds; run fewer at a time")
    if not seeds:
        raise SeedsError(f"no seeds given; write {SEEDS_FORM}")
    return tuple(seeds)


def _one_part(part: Any) -> range:
    if isinstance(part, int) and not isinstance(part, bool):
        return _range(part, part)
    if not isinstance(part, str):
        raise SeedsError(f"{part!r} is not a seed or a range of seeds; write {SEEDS_FORM}")
    match = _PART.match(part)
    if match is None:
        raise SeedsError(f"{part.strip()!r} is not a seed or a range; write {SEEDS_FORM}")
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) is not None else first
    return _range(first, last)


def _range(first: int, last: int) -> range:
    if first < 0 or last > MAX_SEED:
        raise SeedsError(f"a seed is a whole number from 0 to {MAX_SEED}")
    if last < first:
        raise SeedsError(
            f"the range {first}-{last} is empty: write it low to high ({last}-{first})"
        )
    if last - first >= MAX_SEEDS:
        raise SeedsError(f"{first}-{last} is more than {MAX_SEEDS:,} seeds; run fewer at a time")
    return range(first, last + 1)


def _validated(value: Any) -> tuple[int, ...]:
    try:
        return parse_seeds(value)
    except SeedsError as error:
        raise spec_error("seeds", str(error)) from None


Seeds = Annotated[
    tuple[int, ...],
    BeforeValidator(_validated),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": rf"^{_ONE}(,{_ONE})*$"},
                {"type": "integer", "minimum": 0},
                {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "anyOf": [
                            {"type": "integer", "minimum": 0},
                            {"type": "string", "pattern": rf"^{_ONE}$"},
                        ]
                    },
                },
            ],
            "description": SEEDS_FORM,
        }
    ),
]
"""Seeds to run, written `1-50`, `1-5,9` or `[1, 2, 7]`."""


def seeds_text(seeds: tuple[int, ...]) -> str:
    """`1-50`, `1-5,9`: the shortest spelling, runs of consecutive seeds as ranges."""
    parts: list[str] = []
    start = previous = None
    for seed in seeds:
        if previous is not None and seed == previous + 1:
            previous = seed
            continue
        if start is not None:
            parts.append(_span(start, previous))
        start = previous = seed
    if start is not None:
        parts.append(_span(start, previous))
    return ",".join(parts)


def _span(start: int, end: int | None) -> str:
    return str(start) if end is None or end == start else f"{start}-{end}"
