"""Hypothesis strategies for chaos experiments: fault schedules and workloads for `@given`.

    from hypothesis import given, settings
    from chaos import strategies
    from chaos.api import run

    OUTAGE = "lambda.throttle: {concurrency: 0, target: consumer, at: 0s..1m, for: 10s..3m}"

    @settings(max_examples=10, deadline=None)
    @given(faults=strategies.fault_schedules(OUTAGE, duration="5m"))
    def test_eda_keeps_every_order(faults):
        outcome = run({"experiment": "outage", "duration": "5m",
                       "workload": {"steady": {"rate": "2/s", "for": "1m"}},
                       "faults": faults, "assertions": ["no_loss"]}, "eda")
        assert outcome.verdict == "survived", outcome.reason

Ranges are written `LO..HI` with units (`30s..5m`, `1%..50%`, `5/s..20/s`, `2..10`), as in
an experiment's `search:` space. Hypothesis shrinks a failing example the way
`chaos-arena search` does: candidate faults left out first, then every value toward its
range's first bound. Values come out written with their units, so they go straight into
an experiment (YAML text or a mapping given to `chaos.api.run`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from hypothesis import strategies as st

from chaos._errors import SpecError
from chaos._search import space
from chaos._spec.ranges import RangeError, ranges_in
from chaos._spec.units import UnitError, parse_duration

__all__ = ["fault_schedules", "ranged", "workloads"]

Entry = str | Mapping[str, Any]
"""A fault entry as YAML text (`"lambda.error: {probability: 1%..50%}"`) or a mapping."""


def ranged(value: Any) -> st.SearchStrategy[Any]:
    """`value` (a mapping, list or scalar) with every `LO..HI` string in it drawn from its
    range; everything else as given."""
    _check_ranges(value)
    return space.ranged(value)


def fault_schedules(
    *candidates: Entry, duration: str | float | None = None
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Lists of fault entries for an experiment's `faults:`: each candidate included or
    not, its ranges drawn. With the experiment's `duration` (`"5m"`, or seconds), windows
    that would run past the end are cut there."""
    entries = [_entry(candidate) for candidate in candidates]
    for entry in entries:
        _check_ranges(entry)
    seconds = _seconds(duration)
    return space.fault_schedules(space.candidates_of(entries), duration=seconds)


def workloads(workload: Entry) -> st.SearchStrategy[dict[str, Any]]:
    """Workload mappings for an experiment's `workload:`, ranges drawn
    (`"steady: {rate: 5/s..50/s, for: 1m}"`)."""
    data = _mapping(workload, "a workload")
    _check_ranges(data)
    return space.ranged(data)


def _entry(candidate: Entry) -> dict[str, Any]:
    data = _mapping(candidate, "a fault entry")
    if len(data) != 1:
        raise SpecError.single(
            "<python>",
            f"a fault entry has one key, its fault type; this one has {len(data)}",
            hint="write 'lambda.error: {probability: 1%..50%, at: 0s..1m}'",
        )
    return data


def _mapping(value: Entry, what: str) -> dict[str, Any]:
    data = yaml.safe_load(value) if isinstance(value, str) else value
    if not isinstance(data, Mapping):
        raise SpecError.single("<python>", f"{what} must be a mapping, not {value!r}")
    return dict(data)


def _check_ranges(value: Any) -> None:
    from chaos._spec.ranges import RANGE_FORM, parse_range

    for loc, text in ranges_in(value):
        try:
            parse_range(text)
        except RangeError as error:
            where = ".".join(str(part) for part in loc)
            raise SpecError.single("<python>", f"{where}: {error}", hint=RANGE_FORM) from None


def _seconds(duration: str | float | None) -> float | None:
    if duration is None or isinstance(duration, int | float):
        return duration
    try:
        return parse_duration(duration)
    except UnitError as error:
        raise SpecError.single("<python>", f"duration: {error}") from None
