"""Hypothesis strategies over a `search:` space: fault schedules, workloads, system settings.

Every value is drawn as a step index on its range's grid (`chaos._spec.ranges`), so
Hypothesis's shrinker, which moves integers toward 0 and booleans toward False, moves each
value toward its range's first bound and leaves out candidate faults: the fewest faults, the
shortest windows, the lowest intensity, as the ranges are written. Values come out written
with their units, ready for an experiment file.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from chaos._spec.ranges import Range, is_range, parse_range
from chaos._spec.search import SearchSpace
from chaos._spec.units import UnitError, format_duration, parse_duration


def ranged(value: Any) -> st.SearchStrategy[Any]:
    """`value` with every `LO..HI` string in it (at any depth) drawn from its range."""
    if isinstance(value, Mapping):
        return st.fixed_dictionaries({key: ranged(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return st.tuples(*(ranged(item) for item in value)).map(list)
    if is_range(value):
        return _steps(parse_range(value))
    return st.just(value)


def _steps(grid: Range) -> st.SearchStrategy[Any]:
    return st.integers(0, grid.steps).map(grid.written)


@dataclass(frozen=True)
class Candidate:
    """One candidate fault: its type and its parameters as written (ranges included)."""

    fault_type: str
    params: Mapping[str, Any]


def candidates_of(entries: Sequence[Mapping[str, Any]]) -> list[Candidate]:
    found = []
    for entry in entries:
        ((name, params),) = entry.items()
        found.append(Candidate(str(name), dict(params or {})))
    return found


def fault_schedules(
    candidates: Sequence[Candidate], *, duration: float | None = None
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Lists of fault entries: each candidate included or not, its ranges drawn. With a
    `duration`, a window that would run past the end is cut to end there."""

    @st.composite
    def schedule(draw: st.DrawFn) -> list[dict[str, Any]]:
        chosen = []
        for candidate in candidates:
            if draw(st.booleans()):
                drawn = draw(ranged(candidate.params))
                params = {key: drawn[key] for key in candidate.params}  # as written
                chosen.append({candidate.fault_type: clamp_window(params, duration)})
        return chosen

    return schedule()


def clamp_window(params: dict[str, Any], duration: float | None) -> dict[str, Any]:
    """Cut `for` so the window ends by `duration`; a window starting at or after the end is
    left as it is (the experiment's own rules report it)."""
    if duration is None or "for" not in params:
        return params
    try:
        start = parse_duration(params.get("at", "0s"))
        length = parse_duration(params["for"])
    except UnitError:
        return params
    if start < duration < start + length:
        return {**params, "for": format_duration(duration - start)}
    return params


@dataclass(frozen=True)
class Choice:
    """One point of a search space, written as an experiment file writes values."""

    faults: tuple[dict[str, Any], ...]
    workload: tuple[tuple[str, Any], ...]
    system: tuple[tuple[str, Any], ...]

    def key(self) -> str:
        """A stable text of the choice (cache key, database of known failures)."""
        return json.dumps([self.faults, self.workload, self.system], sort_keys=True)

    def describe(self) -> str:
        parts = [_fault_text(entry) for entry in self.faults] or ["no added faults"]
        parts += [f"workload.{path}={value}" for path, value in self.workload]
        parts += [f"{path}={value}" for path, value in self.system]
        return "; ".join(parts)


def _fault_text(entry: Mapping[str, Any]) -> str:
    ((name, params),) = entry.items()
    inner = ", ".join(f"{key}: {value}" for key, value in params.items())
    return f"{name} {{{inner}}}"


def choices(space: SearchSpace, *, duration: float) -> st.SearchStrategy[Choice]:
    """Points of `space`: faults first (each shrinks toward left out), then workload and
    system settings."""
    candidates = candidates_of(space.faults)
    workload = sorted(space.workload.items())
    system = sorted(space.system.items())
    return st.builds(
        Choice,
        fault_schedules(candidates, duration=duration).map(tuple),
        _settings(workload),
        _settings(system),
    )


def _settings(paths: list[tuple[str, Any]]) -> st.SearchStrategy[tuple[tuple[str, Any], ...]]:
    """(key path, value) pairs, each value drawn from its range."""
    return st.tuples(*(ranged(value).map(_pair(path)) for path, value in paths))


def _pair(path: str) -> Any:
    def pair(value: Any) -> tuple[str, Any]:
        return (path, value)

    return pair


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def key_parts(path: str) -> list[str | int]:
    """`bursts[0].rate` -> ['bursts', 0, 'rate']."""
    return [name if name else int(index) for name, index in _PART.findall(path)]


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    """Set a key path in nested mappings and lists, creating mappings on the way; KeyError
    (with the path) when a list index or a non-mapping is in the way."""
    parts = key_parts(path)
    node: Any = document
    for part, following in itertools.pairwise(parts):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise KeyError(path)
            node = node[part]
            continue
        if not isinstance(node, dict):
            raise KeyError(path)
        if node.get(part) is None:
            node[part] = [] if isinstance(following, int) else {}
        node = node[part]
    last = parts[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise KeyError(path)
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise KeyError(path)


__all__ = [
    "Candidate",
    "Choice",
    "candidates_of",
    "choices",
    "clamp_window",
    "fault_schedules",
    "key_parts",
    "ranged",
    "set_path",
]
