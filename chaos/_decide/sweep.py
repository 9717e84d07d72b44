"""Breaking points: vary one key of an experiment and find where each system stops surviving.

`--vary PATH=LO..HI` names a key of the experiment as written (`workload.bursts[0].rate`,
`faults[0].lambda.throttle.for`, `systems[1].eda.queue.max_receive_count`); every value is
written back in the key's own form (`430/s`, `90s`, `5%`, an integer) and the changed
experiment is loaded and checked like a file, so a value the experiment cannot take is a
located error before anything runs.

One key: a coarse grid of points from LO to HI (both included) runs first, every system at
once; where a system survives at one end of the grid and fails at the other, with a single
change between, the boundary is bisected until the surviving and failing values are within
the resolution. The boundary lies in either direction (a larger burst breaks systems, a
larger `max_receive_count` saves them): the answer is the largest value survived, or the
smallest. A grid whose verdicts change more than once is reported as non-monotone, with its
points, and not bisected: a boundary there would be a guess. A point counts as survived when
every seed run at it survived.

Several keys: the grid of every combination, a table of verdicts per system.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaos._decide.executors import Executor, Finished
from chaos._errors import SetupError
from chaos._execution import Job
from chaos._report.data import RunSummary
from chaos._spec import units
from chaos._spec.loader import LoadedExperiment, Loader, PortableExperiment

Key = tuple[str | int, ...]

_SEGMENT = re.compile(r"^([^\[\]]*)((?:\[\d+\])*)$")


# ---------------------------------------------------------------------------------------
# Key paths
# ---------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str | int]:
    """`workload.bursts[0].rate` -> ['workload', 'bursts', 0, 'rate']; dotted names such as
    `lambda.error` are split here and joined again against the data (`resolve`)."""
    tokens: list[str | int] = []
    for segment in text.split("."):
        match = _SEGMENT.match(segment)
        if match is None or (not match.group(1) and not match.group(2)):
            raise SetupError(f"--vary {text}: {segment!r} is not a key; write keys.like[0].this")
        if match.group(1):
            tokens.append(match.group(1))
        tokens.extend(int(index) for index in re.findall(r"\[(\d+)\]", match.group(2)))
    return tokens


def resolve(data: Any, text: str) -> Key:
    """The key path `text` names in `data` (an experiment as written); a SetupError that
    lists the valid keys where it goes wrong. The last key may be absent (a default): the
    experiment is validated with it anyway."""
    tokens = _tokens(text)
    path: list[str | int] = []
    node = data
    index = 0
    while index < len(tokens):
        token = tokens[index]
        where = _shown(path)
        if isinstance(token, int):
            if not isinstance(node, list):
                raise SetupError(f"--vary {text}: {where} is not a list, so [{token}] is not in it")
            if token >= len(node):
                raise SetupError(
                    f"--vary {text}: {where} has {len(node)} item(s); valid: "
                    + ", ".join(f"[{i}]" for i in range(len(node)))
                )
            node = node[token]
            path.append(token)
            index += 1
            continue
        if not isinstance(node, dict):
            raise SetupError(f"--vary {text}: {where} is a value, not a mapping with keys")
        taken = _longest_key(node, tokens, index)
        if taken is None:
            last = all(isinstance(t, str) for t in tokens[index:]) and index == len(tokens) - 1
            if last:
                path.append(token)
                return tuple(path)
            valid = ", ".join(str(k) for k in node) or "none"
            raise SetupError(
                f"--vary {text}: {token!r} is not a key of {where or 'the experiment'}; "
                f"valid keys: {valid}"
            )
        key, index = taken
        node = node[key]
        path.append(key)
    return tuple(path)


def _longest_key(
    node: dict[Any, Any], tokens: list[str | int], start: int
) -> tuple[str, int] | None:
    """The longest run of name tokens from `start` that, joined by dots, is a key of `node`."""
    end = start
    while end < len(tokens) and isinstance(tokens[end], str):
        end += 1
    for stop in range(end, start, -1):
        key = ".".join(str(t) for t in tokens[start:stop])
        if key in node:
            return key, stop
    return None


def _shown(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def value_at(data: Any, key: Key) -> Any:
    node = data
    for part in key:
        if isinstance(node, dict) and part not in node:
            return None
        node = node[part]
    return node


def with_value(data: Any, key: Key, value: Any) -> Any:
    """A deep copy of `data` with `value` at `key`."""
    changed = copy.deepcopy(data)
    node = changed
    for part in key[:-1]:
        node = node[part]
    node[key[-1]] = value
    return changed


# ---------------------------------------------------------------------------------------
# Values and their forms
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """How a key's values are read and written: `rate` (`430/s`), `duration`, `percent`,
    `size`, `integer` or `number`."""

    name: str
    parse: Callable[[str], float]
    write: Callable[[float], Any]
    show: Callable[[float], str]
    integral: bool = False


def _bare_or(parse: Callable[[object], float]) -> Callable[[str], float]:
    """A parser that also takes a bare number, in base units (`430` for `430/s`)."""

    def read(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return float(parse(text))

    return read


def _integer(text: str) -> float:
    value = float(text)
    if value != int(value):
        raise ValueError(f"{text!r} is not a whole number")
    return float(int(value))


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) and abs(value) >= 1000 else f"{value:g}"


FORMS = {
    "rate": Form(
        "rate",
        _bare_or(units.parse_rate),
        units.format_rate,
        lambda v: f"{_number(v)}/s",
    ),
    "duration": Form(
        "duration", _bare_or(units.parse_duration), units.format_duration, units.format_duration
    ),
    "percent": Form(
        "percent", _bare_or(units.parse_fraction), units.format_percent, units.format_percent
    ),
    "size": Form(
        "size", _bare_or(units.parse_size), lambda v: units.format_size(round(v)), units.format_size
    ),
    "integer": Form("integer", _integer, int, lambda v: f"{int(v):,}", integral=True),
    "number": Form("number", float, float, _number),
}


def form_of(current: Any, *written: str) -> Form:
    """The form of a key from its current value, else from how LO and HI are written."""
    if isinstance(current, bool):
        raise SetupError("a key that is true or false cannot be varied over a range")
    if isinstance(current, int):
        return FORMS["integer"]
    if isinstance(current, float):
        return FORMS["number"]
    samples = [current] if isinstance(current, str) else list(written)
    for name, check in (
        ("rate", units.parse_rate),
        ("duration", units.parse_duration),
        ("percent", units.parse_fraction),
        ("size", units.parse_size),
    ):
        for sample in samples:
            try:
                check(sample.strip() if name != "percent" else _percent_only(sample))
            except (units.UnitError, ValueError):
                continue
            return FORMS[name]
    if current is None and all(_is_integer(w) for w in written):
        return FORMS["integer"]
    if current is None:
        return FORMS["number"]
    raise SetupError(f"{current!r} is not a quantity a sweep can vary")


def _percent_only(text: str) -> str:
    # A bare `0.5` would read as a fraction; only `50%` says percent.
    if not text.strip().endswith("%"):
        raise ValueError(text)
    return text


def _is_integer(text: str) -> bool:
    return re.fullmatch(r"\s*\d+\s*", text) is not None


@dataclass(frozen=True)
class Vary:
    """One `--vary PATH=LO..HI`, resolved against an experiment."""

    text: str
    key: Key
    form: Form
    low: float
    high: float

    @property
    def label(self) -> str:
        return _shown(self.key)

    def shown(self, value: float) -> str:
        return self.form.show(value)

    def grid(self, points: int) -> list[float]:
        """`points` values from LO to HI, both included (whole numbers for integer keys)."""
        if points < 2 or self.low == self.high:
            return [self.low] if self.low == self.high else [self.low, self.high]
        values = [self.low + (self.high - self.low) * i / (points - 1) for i in range(points)]
        if self.form.integral:
            values = [float(round(v)) for v in values]
        return sorted(set(values))


VARY_FORM = "PATH=LO..HI, e.g. workload.bursts[0].rate=100/s..5000/s"


def parse_vary(text: str, loaded: LoadedExperiment) -> Vary:
    """`PATH=LO..HI` against the experiment's data: its key, its form, the range."""
    path, sep, span = text.partition("=")
    low_text, dots, high_text = span.partition("..")
    if not sep or not dots or not path.strip() or not low_text.strip() or not high_text.strip():
        raise SetupError(f"--vary {text!r}: write {VARY_FORM}")
    key = resolve(loaded.data, path.strip())
    form = form_of(value_at(loaded.data, key), low_text, high_text)
    try:
        low, high = form.parse(low_text.strip()), form.parse(high_text.strip())
    except (units.UnitError, ValueError) as error:
        raise SetupError(f"--vary {text}: {error} (the key is a {form.name})") from None
    if not low < high:
        raise SetupError(f"--vary {text}: LO must be below HI")
    return Vary(text, key, form, low, high)


def nice_below(value: float) -> float:
    """The largest of 1, 2 or 5 times a power of ten that is at most `value`."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(power * m for m in (5, 2, 1) if power * m <= value * (1 + 1e-9))


def parse_resolution(text: str | None, vary: Vary) -> float:
    """The bisection's resolution in the key's form; default a round number (1, 2 or 5
    times a power of ten) at most 1/32 of the range, and at least 1 for an integer key."""
    if text is None:
        step = nice_below((vary.high - vary.low) / 32)
        return max(1.0, math.floor(step)) if vary.form.integral else step
    try:
        value = vary.form.parse(text.strip())
    except (units.UnitError, ValueError) as error:
        raise SetupError(f"--resolution {text}: {error} (the key is a {vary.form.name})") from None
    if value <= 0:
        raise SetupError(f"--resolution {text}: must be above zero")
    return value


# ---------------------------------------------------------------------------------------
# Points and their runs
# ---------------------------------------------------------------------------------------


@dataclass
class Point:
    """One combination of values, run against every system over the seeds."""

    values: tuple[float, ...]
    loaded: LoadedExperiment
    runs: dict[str, list[RunSummary]] = field(default_factory=dict)
    """Per system name, one summary per seed."""

    def survived(self, system: str) -> int:
        return sum(run.verdict == "survived" for run in self.runs.get(system, ()))

    def share(self, system: str) -> float:
        runs = self.runs.get(system, ())
        return self.survived(system) / len(runs) if runs else 0.0

    def all_survived(self, system: str) -> bool:
        runs = self.runs.get(system, ())
        return bool(runs) and self.survived(system) == len(runs)


class PointLoader:
    """Loads the experiment with given values at the varied keys (each once)."""

    def __init__(self, loader: Loader, loaded: LoadedExperiment, varies: Sequence[Vary]) -> None:
        self.loader = loader
        self.loaded = loaded
        self.varies = tuple(varies)
        self._points: dict[tuple[float, ...], Point] = {}

    def point(self, values: tuple[float, ...]) -> Point:
        if values not in self._points:
            data = self.loaded.data
            for vary, value in zip(self.varies, values, strict=True):
                data = with_value(data, vary.key, vary.form.write(value))
            changed = self.loader.mapping(
                data,
                self.loaded.path,
                self.loaded.line,
                base_dir=self.loaded.base_dir,
                from_yaml=self.loaded.from_yaml,
            )
            self._points[values] = Point(values, changed)
        return self._points[values]

    def loaded_points(self) -> list[Point]:
        return list(self._points.values())


def run_points(
    points: Sequence[Point],
    systems: Sequence[tuple[int, str]],
    seeds: Sequence[int],
    executor: Executor,
    finished: Finished | None = None,
) -> None:
    """Run every (point, system, seed) not run yet; the summaries land on the points."""
    run_pairs([(p, i, name) for p in points for i, name in systems], seeds, executor, finished)


def run_pairs(
    pairs: Sequence[tuple[Point, int, str]],
    seeds: Sequence[int],
    executor: Executor,
    finished: Finished | None = None,
) -> None:
    """Run each (point, system index, system name) over the seeds, in one batch of jobs."""
    todo = list(
        {(id(p), name): (p, i, name) for p, i, name in pairs if name not in p.runs}.values()
    )
    jobs = [
        Job(PortableExperiment.of(p.loaded), p.loaded.experiment.experiment, index, seed, None)
        for p, index, _ in todo
        for seed in seeds
    ]
    summaries = iter(executor.run(jobs, finished))
    for point, _, name in todo:
        point.runs[name] = [next(summaries) for _ in seeds]


# ---------------------------------------------------------------------------------------
# One key: the breaking point
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Boundary:
    """Where one system stops surviving along one key, from the points run."""

    system: str
    kind: str
    """`up_to` (survives up to `survived`), `from` (survives from `survived` up),
    `everywhere`, `nowhere` or `non_monotone`."""
    points: tuple[tuple[float, float], ...]
    """(value, share of seeds survived) at every value run, in order of value."""
    survived: float | None = None
    """The last value survived, next to the boundary."""
    failed: float | None = None
    """The first value failed, on the other side of it."""

    @property
    def monotone(self) -> bool:
        return self.kind != "non_monotone"


def changes(outcomes: Sequence[bool]) -> int:
    return sum(a != b for a, b in itertools.pairwise(outcomes))


def _step(resolution: float) -> float:
    """The rounding of midpoints: a round number a tenth of the resolution or finer."""
    return 10 ** math.floor(math.log10(resolution / 10)) if resolution > 0 else 1.0


def _midpoint(low: float, high: float, vary: Vary, resolution: float) -> float | None:
    """A round value between `low` and `high`, or None when they are within the resolution."""
    if high - low <= resolution:
        return None
    if vary.form.integral:
        middle = float((int(low) + int(high)) // 2)
    else:
        step = _step(resolution)
        middle = round((low + high) / 2 / step) * step
    return middle if low < middle < high else None


@dataclass(frozen=True)
class SweepResult:
    """A one-key sweep: per system its boundary, and everything needed to draw it."""

    experiment: str
    path: str
    vary: Vary
    resolution: float
    seeds: tuple[int, ...]
    boundaries: tuple[Boundary, ...]
    runs: int


def sweep(
    points: PointLoader,
    vary: Vary,
    systems: Sequence[tuple[int, str]],
    seeds: Sequence[int],
    executor: Executor,
    *,
    resolution: float,
    grid_points: int = 5,
    round_done: Callable[[int, int], None] | None = None,
    finished: Finished | None = None,
) -> SweepResult:
    """Run the grid, then bisect each system's boundary (all open systems per round)."""
    grid = [points.point((v,)) for v in vary.grid(grid_points)]
    run_points(grid, systems, seeds, executor, finished)
    runs = len(grid) * len(systems) * len(seeds)
    if round_done is not None:
        round_done(0, runs)
    brackets: dict[str, tuple[float, float]] = {}
    kinds: dict[str, str] = {}
    for _, name in systems:
        outcomes = [p.all_survived(name) for p in grid]
        values = [p.values[0] for p in grid]
        kinds[name] = _kind(outcomes)
        if kinds[name] in ("up_to", "from"):
            flip = next(i for i in range(len(outcomes) - 1) if outcomes[i] != outcomes[i + 1])
            brackets[name] = (values[flip], values[flip + 1])
    rounds = 0
    while True:
        wanted: dict[str, Point] = {}
        for _, name in systems:
            if name not in brackets:
                continue
            low, high = brackets[name]
            middle = _midpoint(low, high, vary, resolution)
            if middle is not None:
                wanted[name] = points.point((middle,))
        if not wanted:
            break
        pairs = [(wanted[n], i, n) for i, n in systems if n in wanted]
        run_pairs(pairs, seeds, executor, finished)
        runs += len(wanted) * len(seeds)
        rounds += 1
        if round_done is not None:
            round_done(rounds, runs)
        for name, point in wanted.items():
            low, high = brackets[name]
            middle = point.values[0]
            low_survives = kinds[name] == "up_to"
            if point.all_survived(name) == low_survives:
                brackets[name] = (middle, high)
            else:
                brackets[name] = (low, middle)
    boundaries = []
    for _, name in systems:
        run = sorted(
            (p.values[0], p.share(name))
            for p in points.loaded_points()  # every point run, grid and bisection
            if name in p.runs
        )
        kind = kinds[name]
        if kind in ("up_to", "from") and changes([share == 1.0 for _, share in run]) > 1:
            kind = "non_monotone"
        survived = failed = None
        if kind in ("up_to", "from"):
            low, high = brackets[name]
            survived, failed = (low, high) if kind == "up_to" else (high, low)
        boundaries.append(Boundary(name, kind, tuple(run), survived, failed))
    loaded = points.loaded
    return SweepResult(
        loaded.experiment.experiment,
        str(loaded.path),
        vary,
        resolution,
        tuple(seeds),
        tuple(boundaries),
        runs,
    )


def _kind(outcomes: Sequence[bool]) -> str:
    if all(outcomes):
        return "everywhere"
    if not any(outcomes):
        return "nowhere"
    if changes(outcomes) > 1:
        return "non_monotone"
    return "up_to" if outcomes[0] else "from"


# ---------------------------------------------------------------------------------------
# Several keys: the grid
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridResult:
    """Every combination of the keys' grid values, per system the share of seeds survived."""

    experiment: str
    path: str
    varies: tuple[Vary, ...]
    seeds: tuple[int, ...]
    systems: tuple[str, ...]
    cells: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]
    """(values, share survived per system in `systems` order)."""
    runs: int


def grid(
    points: PointLoader,
    varies: Sequence[Vary],
    systems: Sequence[tuple[int, str]],
    seeds: Sequence[int],
    executor: Executor,
    *,
    grid_points: int = 5,
    finished: Finished | None = None,
) -> GridResult:
    """Run every combination of the keys' grid values against every system."""
    axes = [vary.grid(grid_points) for vary in varies]
    combos = [points.point(tuple(values)) for values in itertools.product(*axes)]
    run_points(combos, systems, seeds, executor, finished)
    names = tuple(name for _, name in systems)
    cells = tuple((p.values, tuple(p.share(name) for name in names)) for p in combos)
    loaded = points.loaded
    return GridResult(
        loaded.experiment.experiment,
        str(loaded.path),
        tuple(varies),
        tuple(seeds),
        names,
        cells,
        len(combos) * len(names) * len(seeds),
    )
