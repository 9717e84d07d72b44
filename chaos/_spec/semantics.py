"""Rules an experiment's model cannot check alone: they span keys, files or the environment.

Windows inside the experiment's duration; systems that exist (resolved by the caller's
`SystemResolver`); `expect` keys and fault targets that name the experiment's systems and
what they have. The rules read the raw document and check every piece that parses on its own,
so they report even while other keys of the file are still broken.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chaos._errors import Diagnostic
from chaos._registry import did_you_mean
from chaos._spec.base import Loc, Problem, key_path
from chaos._spec.catalog import FaultKind, Names, Resolution, ResolvedSystem, SystemResolver
from chaos._spec.diagnose import Site
from chaos._spec.experiment import REFERENCE_SYSTEMS
from chaos._spec.faults import TargetKind, target_names
from chaos._spec.ranges import RangeError, corner
from chaos._spec.types import YAML_CONTEXT
from chaos._spec.units import UnitError, format_duration, parse_duration


def window_problems(data: dict[Any, Any], *, from_yaml: bool = True) -> list[Problem]:
    """Traffic and fault windows that start at or after the end, or run past it. From
    Python (`from_yaml` false) a bare number is in seconds, as the model takes it."""

    def _seconds(value: Any) -> float | None:
        if not from_yaml and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return _parsed_seconds(value)

    duration = _seconds(data.get("duration"))
    if duration is None or duration <= 0:
        return []
    found = []
    for loc, label, window in _windows(data):
        start = _seconds(window.get("at", "0s"))
        length = _seconds(window["for"]) if "for" in window else None
        if start is None:
            continue
        if start >= duration:
            when = "when" if start == duration else "after"
            found.append(
                Problem(
                    (*loc, "at"),
                    f"{label} starts at {format_duration(start)}, {when} the experiment ends "
                    f"({format_duration(duration)})",
                    "'at' must be less than the experiment's duration, "
                    f"{format_duration(duration)}",
                )
            )
        elif length is not None and start + length > duration * (1 + 1e-12):
            found.append(
                Problem(
                    (*loc, "for"),
                    f"{label} runs until {format_duration(start + length)}, past the end of the "
                    f"experiment at {format_duration(duration)}",
                    f"shorten 'for' to {format_duration(duration - start)} or less, or make "
                    "'duration' longer",
                )
            )
    return found


def _parsed_seconds(value: Any) -> float | None:
    try:
        return parse_duration(value)
    except UnitError:
        return None


def _windows(data: dict[Any, Any]) -> Iterator[tuple[Loc, str, dict[Any, Any]]]:
    workload = data.get("workload")
    if isinstance(workload, dict):
        if isinstance(steady := workload.get("steady"), dict):
            yield ("workload", "steady"), "steady traffic", steady
        for part, label in (("bursts", "this burst"), ("ramps", "this ramp")):
            for index, window in _items(workload.get(part)):
                if isinstance(window, dict):
                    yield ("workload", part, index), label, window
    for index, entry in _items(data.get("faults")):
        if isinstance(entry, dict) and len(entry) == 1:
            ((name, params),) = entry.items()
            if isinstance(name, str) and isinstance(params, dict):
                yield ("faults", index, name), f"fault {name!r}", params


def _items(value: Any) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else []


# -- one experiment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """What the rules found about one experiment."""

    diagnostics: list[Diagnostic]
    systems: list[ResolvedSystem]
    """Its systems, in order, as far as they resolved (all of them when nothing is wrong)."""


def check_experiment(
    data: dict[Any, Any],
    site: Site,
    base_dir: Path,
    resolver: SystemResolver,
    faults: Names[FaultKind],
    *,
    from_yaml: bool = True,
) -> Checked:
    """Every cross-key problem of one experiment's raw data."""
    found = [site.at(p) for p in window_problems(data, from_yaml=from_yaml)]
    found.extend(site.at(p) for p in search_problems(data.get("search"), faults))
    systems, system_problems = _systems(data, site, base_dir, resolver)
    found.extend(system_problems)
    names = [s.name for s in systems]
    unresolved = [s.name for s in systems if s.system is None]
    found.extend(site.at(p) for p in _expect_problems(data.get("expect"), names, unresolved))
    resolved = [s.system for s in systems if s.system is not None]
    if not unresolved:
        # Whether a target names something can only be told when every system loaded: the
        # one that did not might have it.
        found.extend(site.at(p) for p in _target_problems(data.get("faults"), resolved, faults))
    return Checked(found, resolved)


def search_problems(search: Any, registry: Names[FaultKind]) -> list[Problem]:
    """Candidate faults of a `search:` space that are unknown, or invalid at either end of
    their ranges (a range that does not parse is the model's to report)."""
    if not isinstance(search, dict):
        return []
    found = []
    for index, candidate in _items(search.get("faults")):
        if not (isinstance(candidate, dict) and len(candidate) == 1):
            continue
        ((name, params),) = candidate.items()
        loc: Loc = ("search", "faults", index, name)
        if not isinstance(name, str) or name not in registry:
            names = [n for n, _ in registry]
            suggestion = did_you_mean(str(name), names)
            hint = f"fault types: {', '.join(names)}"
            found.append(
                Problem(
                    loc,
                    f"unknown fault type {name!r}",
                    f"did you mean {suggestion!r}? {hint}" if suggestion else hint,
                    on_key=True,
                )
            )
            continue
        found.extend(_corner_problems(registry.get(name), params or {}, loc))
    return found


def _corner_problems(kind: FaultKind, params: Any, loc: Loc) -> list[Problem]:
    if not isinstance(params, dict):
        return [Problem(loc, "a candidate fault's parameters are a mapping")]
    try:
        corners = [(label, corner(params, which)) for which, label in ((0, "first"), (1, "second"))]
    except RangeError:
        return []  # the model reports the range itself
    found: list[Problem] = []
    for label, values in corners:
        try:
            kind.Params.model_validate(values, context=YAML_CONTEXT)
        except ValidationError as error:
            for item in error.errors():
                where = tuple(item["loc"])
                found.append(
                    Problem(
                        (*loc, *where),
                        f"at the {label} bound of its ranges: {item['msg']}",
                        "each range's bounds must be valid values of the parameter",
                    )
                )
            break  # one corner's problems are enough to say what is wrong
    return found


def _system_entries(data: dict[Any, Any]) -> Iterator[tuple[Loc | None, str, dict[Any, Any]]]:
    """(where, ref, overrides) of each system entry whose shape is right."""
    if "systems" not in data:
        for ref in REFERENCE_SYSTEMS:
            yield None, ref, {}
        return
    for index, item in _items(data.get("systems")):
        if isinstance(item, str):
            yield ("systems", index), item, {}
        elif isinstance(item, dict) and len(item) == 1:
            ((ref, overrides),) = item.items()
            if isinstance(ref, str) and isinstance(overrides, dict | None):
                yield ("systems", index), ref, overrides or {}


def _systems(
    data: dict[Any, Any], site: Site, base_dir: Path, resolver: SystemResolver
) -> tuple[list[Resolution], list[Diagnostic]]:
    systems: list[Resolution] = []
    found: list[Diagnostic] = []
    first: dict[str, Loc | None] = {}
    for loc, ref, overrides in _system_entries(data):
        # Defaulted systems have no key of their own: report against the experiment's name.
        where = loc if loc is not None else ("experiment",)
        info = resolver.resolve(ref, overrides, base_dir, site, where)
        found.extend(info.problems)
        if info.name in first:
            earlier = first[info.name]
            found.append(
                site.at(
                    Problem(
                        where,
                        f"system {info.name!r} is listed twice",
                        f"first listed at {key_path(earlier) if earlier else 'the defaults'}; "
                        "each system runs once per experiment",
                    )
                )
            )
            continue
        first[info.name] = loc
        systems.append(info)
    return systems, found


def _expect_problems(expect: Any, names: list[str], unresolved: list[str]) -> list[Problem]:
    """`expect` keys that name no system of the experiment. A key close to a system that did
    not load (`systems: [edaa]`, `expect: {eda: ...}`) is left to that system's own problem."""
    if not isinstance(expect, dict):
        return []
    found = []
    for key in expect:
        if isinstance(key, str) and key not in names and not did_you_mean(key, unresolved):
            hint = f"this experiment runs: {', '.join(names)}"
            suggestion = did_you_mean(key, names)
            if suggestion is not None:
                hint = f"did you mean {suggestion!r}? {hint}"
            found.append(
                Problem(
                    ("expect", key),
                    f"expect names system {key!r}, which this experiment does not run",
                    hint,
                    on_key=True,
                )
            )
    return found


def _target_problems(
    faults: Any, systems: list[ResolvedSystem], registry: Names[FaultKind]
) -> list[Problem]:
    found = []
    for index, entry in _items(faults):
        if not (isinstance(entry, dict) and len(entry) == 1):
            continue
        ((name, params),) = entry.items()
        if not (isinstance(name, str) and name in registry and isinstance(params, dict)):
            continue
        target = params.get("target")
        if not isinstance(target, str):
            continue
        problem = _target_problem(registry.get(name).target_kind, target, systems)
        if problem is not None:
            message, hint = problem
            found.append(Problem(("faults", index, name, "target"), message, hint))
    return found


def _target_problem(
    kind: TargetKind, target: str, systems: list[ResolvedSystem]
) -> tuple[str, str] | None:
    """A target that names nothing in any of the systems (a typo), or None.

    A target that only some of the systems have is fine: like a queue fault on a system
    without a queue, the fault does not act there, and a system no fault acts on is judged
    inconclusive, never passed.
    """
    names: dict[str, list[str]] = {}
    for system in systems:
        found = target_names(kind, system.definition)
        if found is None:
            return (
                f"this fault acts on the system's {kind}, which has no name to target",
                "leave out 'target'",
            )
        names[system.name] = found
    if not names or any(target in found for found in names.values()):
        return None
    which = ", ".join(repr(name) for name in names)
    have = "; ".join(
        f"{name} has {', '.join(found) or f'no {kind}'}" for name, found in names.items()
    )
    hint = f"{kind}s by system: {have}"
    suggestion = did_you_mean(target, sorted({n for found in names.values() for n in found}))
    if suggestion is not None:
        hint = f"did you mean {suggestion!r}? {hint}"
    plural = "s" if len(names) > 1 else ""
    return f"no {kind} named {target!r} in system{plural} {which}", hint
