"""Sweeps: key paths, the forms of values, bisection in either direction, non-monotone
grids, grids of several keys, and `chaos-arena sweep` end to end on a small experiment."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from chaos._cli import main
from chaos._decide.executors import Finished
from chaos._decide.render import boundary_sentence, survival_chart
from chaos._decide.sweep import (
    PointLoader,
    Vary,
    grid,
    nice_below,
    parse_resolution,
    parse_vary,
    resolve,
    sweep,
    value_at,
)
from chaos._errors import SetupError, SpecError
from chaos._execution import Job
from chaos._loading import loader
from chaos._report.data import RunSummary
from chaos._spec.loader import LoadedExperiment

BURST = """\
experiment: burst
duration: 40s
systems:
  - sync:
      functions: {api: {reserved_concurrency: 3}}
      tables: {orders: {billing: on_demand}}
workload:
  steady: {rate: 1/s, for: 10s}
  bursts:
    - {rate: 20/s, at: 2s, for: 2s}
faults:
  - lambda.throttle: {at: 20s, for: 5s}
  - lambda.error: {probability: 1%, at: 30s, for: 1s}
assertions:
  - no_loss
  - success_rate: 99%
"""


@pytest.fixture(scope="module")
def burst() -> LoadedExperiment:
    (loaded,) = loader().text(BURST, "burst.chaos.yaml")
    return loaded


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("workload.bursts[0].rate", ("workload", "bursts", 0, "rate")),
        ("faults[0].lambda.throttle.for", ("faults", 0, "lambda.throttle", "for")),
        ("faults[1].lambda.error.probability", ("faults", 1, "lambda.error", "probability")),
        (
            "systems[0].sync.functions.api.reserved_concurrency",
            ("systems", 0, "sync", "functions", "api", "reserved_concurrency"),
        ),
        ("workload.steady.at", ("workload", "steady", "at")),  # absent: its default
    ],
)
def test_key_paths_name_keys_as_written(
    burst: LoadedExperiment, text: str, key: tuple[object, ...]
) -> None:
    assert resolve(burst.data, text) == key


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("workload.burst[0].rate", "'burst' is not a key of workload; valid keys: steady, bursts"),
        ("workload.bursts[3].rate", "workload.bursts has 1 item(s); valid: [0]"),
        ("faults[0].lambda.oops.for", "valid keys: lambda.throttle"),
        ("wrkload.steady.rate", "valid keys: experiment, duration, systems, workload, faults"),
        ("duration[0]", "duration is not a list"),
        ("workload..rate", "'' is not a key"),
    ],
)
def test_a_wrong_key_path_lists_the_valid_keys(
    burst: LoadedExperiment, text: str, says: str
) -> None:
    with pytest.raises(SetupError) as error:
        resolve(burst.data, text)
    assert says in str(error.value)
    assert str(error.value).startswith(f"--vary {text}: ")


@pytest.mark.parametrize(
    ("text", "form", "low", "high", "shown"),
    [
        ("workload.bursts[0].rate=10/s..50/s", "rate", 10.0, 50.0, "10/s"),
        ("workload.bursts[0].rate=600/m..3000/m", "rate", 10.0, 50.0, "10/s"),
        ("workload.bursts[0].rate=10..50", "rate", 10.0, 50.0, "10/s"),
        ("faults[0].lambda.throttle.for=1s..2m", "duration", 1.0, 120.0, "1s"),
        ("faults[1].lambda.error.probability=1%..50%", "percent", 0.01, 0.5, "1%"),
        ("systems[0].sync.functions.api.reserved_concurrency=1..20", "integer", 1, 20, "1"),
    ],
)
def test_values_take_the_keys_form(
    burst: LoadedExperiment, text: str, form: str, low: float, high: float, shown: str
) -> None:
    vary = parse_vary(text, burst)
    assert (vary.form.name, vary.low, vary.high) == (form, low, high)
    assert vary.shown(vary.low) == shown


def test_values_are_written_back_in_the_files_form(burst: LoadedExperiment) -> None:
    vary = parse_vary("faults[0].lambda.throttle.for=1s..2m", burst)
    point = PointLoader(loader(), burst, [vary]).point((15.0,))
    assert value_at(point.loaded.data, vary.key) == "15s"
    fault = point.loaded.experiment.faults[0]
    assert fault.params.duration == 15.0
    assert value_at(burst.data, vary.key) == "5s"  # the original is untouched


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("workload.bursts[0].rate", "write PATH=LO..HI"),
        ("workload.bursts[0].rate=10/s-50/s", "write PATH=LO..HI"),
        ("workload.bursts[0].rate=50/s..10/s", "LO must be below HI"),
        ("workload.bursts[0].rate=10s..50s", "is not a rate (the key is a rate)"),
    ],
)
def test_bad_ranges_say_what_would_do(burst: LoadedExperiment, text: str, says: str) -> None:
    with pytest.raises(SetupError) as error:
        parse_vary(text, burst)
    assert says in str(error.value)


def test_a_value_the_experiment_cannot_take_is_a_located_error(burst: LoadedExperiment) -> None:
    vary = parse_vary("faults[0].lambda.throttle.at=0s..50s", burst)
    with pytest.raises(SpecError) as error:
        PointLoader(loader(), burst, [vary]).point((50.0,))
    (problem, *_) = error.value.diagnostics
    assert problem.path == "burst.chaos.yaml"
    assert problem.key_path.startswith("faults[0]")


def test_default_resolution_is_a_round_number(burst: LoadedExperiment) -> None:
    assert nice_below(12.19) == 10
    assert nice_below(0.3) == 0.2
    vary = parse_vary("workload.bursts[0].rate=100/s..6000/s", burst)
    assert parse_resolution(None, vary) == 100.0
    assert parse_resolution("25/s", vary) == 25.0
    counts = parse_vary("systems[0].sync.functions.api.reserved_concurrency=1..10", burst)
    assert parse_resolution(None, counts) == 1.0


class Oracle:
    """An executor that judges a run by the value at the varied key, without running it:
    the bisection's logic, separated from the engine."""

    def __init__(self, vary: Vary, survives: Callable[[str, float], bool]) -> None:
        self.vary = vary
        self.survives = survives
        self.values: list[float] = []
        self.description = "oracle"

    def run(self, jobs: Sequence[Job], finished: Finished | None = None) -> Iterator[RunSummary]:
        for job in jobs:
            written = value_at(job.experiment.data, self.vary.key)
            value = self.vary.form.parse(str(written))
            system = job.experiment.systems[job.system_index].name
            self.values.append(value)
            verdict = "survived" if self.survives(system, value) else "failed"
            yield RunSummary(
                experiment=job.name,
                path="p",
                line=1,
                system=system,
                system_index=job.system_index,
                architecture="",
                seed=job.seed,
                verdict=verdict,
                expected="survived",
                as_expected=verdict == "survived",
                reason="",
                duration=1.0,
            )


TWO_SYSTEMS = BURST.replace(
    "      tables: {orders: {billing: on_demand}}\n",
    "      tables: {orders: {billing: on_demand}}\n  - eda\n",
    1,
)


@pytest.fixture(scope="module")
def two() -> LoadedExperiment:
    (loaded,) = loader().text(TWO_SYSTEMS, "two.chaos.yaml")
    return loaded


def _sweep(
    loaded: LoadedExperiment,
    vary_text: str,
    rule: Callable[[str, float], bool],
    resolution: float,
    seeds: Sequence[int] = (1,),
) -> tuple[object, Oracle]:
    vary = parse_vary(vary_text, loaded)
    oracle = Oracle(vary, rule)
    systems = [(i, s.name) for i, s in enumerate(loaded.systems)]
    result = sweep(
        PointLoader(loader(), loaded, [vary]), vary, systems, seeds, oracle, resolution=resolution
    )
    return result, oracle


def test_bisection_finds_each_systems_breaking_point(two: LoadedExperiment) -> None:
    limits = {"sync": 430.0, "eda": 4800.0}
    result, oracle = _sweep(
        two, "workload.bursts[0].rate=100/s..6000/s", lambda s, v: v <= limits[s], 25.0
    )
    sync, eda = result.boundaries  # type: ignore[attr-defined]
    assert sync.kind == eda.kind == "up_to"
    for boundary in (sync, eda):
        assert boundary.survived <= limits[boundary.system] < boundary.failed
        assert boundary.failed - boundary.survived <= 25.0
        assert boundary.monotone
    assert boundary_sentence(result, sync).startswith(  # type: ignore[arg-type]
        f"sync survives workload.bursts[0].rate up to {sync.survived:g}/s"
    )
    # Grid of 5, then about log2(1475 / 25) = 6 rounds per system: not a scan.
    assert len(oracle.values) < 5 * 2 + 2 * 8


def test_a_boundary_the_other_way_finds_the_smallest_value_survived(
    two: LoadedExperiment,
) -> None:
    key = "systems[0].sync.functions.api.reserved_concurrency=1..40"
    result, _ = _sweep(two, key, lambda s, v: s == "eda" or v >= 13, 1.0)
    sync, eda = result.boundaries  # type: ignore[attr-defined]
    assert (sync.kind, sync.survived, sync.failed) == ("from", 13, 12)
    assert eda.kind == "everywhere"
    assert "survives systems[0].sync.functions.api.reserved_concurrency from 13 up" in (
        boundary_sentence(result, sync)  # type: ignore[arg-type]
    )


def test_a_non_monotone_grid_is_reported_as_such(two: LoadedExperiment) -> None:
    result, oracle = _sweep(
        two,
        "workload.bursts[0].rate=100/s..500/s",
        lambda s, v: s == "eda" or v not in (200, 400),
        5.0,
    )
    sync, _ = result.boundaries  # type: ignore[attr-defined]
    assert sync.kind == "non_monotone" and not sync.monotone
    assert sync.survived is None
    assert len(oracle.values) == 5 * 2  # the grid only: no bisection of a guess
    assert "not monotone" in boundary_sentence(result, sync)  # type: ignore[arg-type]


def test_a_point_survives_only_when_every_seed_does(two: LoadedExperiment) -> None:
    result, _ = _sweep(
        two, "workload.bursts[0].rate=100/s..500/s", lambda s, v: v < 300, 50.0, seeds=(1, 2, 3)
    )
    sync, _ = result.boundaries  # type: ignore[attr-defined]
    assert sync.points[0] == (100.0, 1.0)
    assert result.runs == len(sync.points) * 3 + len(result.boundaries[1].points) * 3  # type: ignore[attr-defined]


def test_the_chart_marks_values_and_the_breaking_point(two: LoadedExperiment) -> None:
    result, _ = _sweep(two, "workload.bursts[0].rate=100/s..6000/s", lambda s, v: v <= 2000, 100.0)
    from rich.console import Console

    console = Console(width=100, record=True, color_system=None)
    console.print(survival_chart(result))  # type: ignore[arg-type]
    text = console.export_text()
    assert "survival against workload.bursts[0].rate" in text
    sync_line = next(line for line in text.splitlines() if line.startswith("sync"))
    assert "█" in sync_line and "▁" in sync_line
    assert sync_line.index("█") < sync_line.index("▁")
    assert "100/s" in text and "6,000/s" in text


def test_several_keys_make_a_grid(two: LoadedExperiment) -> None:
    rate = parse_vary("workload.bursts[0].rate=100/s..300/s", two)
    count = parse_vary("systems[0].sync.functions.api.reserved_concurrency=1..3", two)
    oracle = Oracle(rate, lambda s, v: v <= 200)
    systems = [(i, s.name) for i, s in enumerate(two.systems)]
    result = grid(
        PointLoader(loader(), two, [rate, count]),
        [rate, count],
        systems,
        (1,),
        oracle,
        grid_points=3,
    )
    assert result.runs == 3 * 3 * 2
    shares = {values: shares for values, shares in result.cells}
    assert shares[(300.0, 2.0)] == (0.0, 0.0)
    assert shares[(100.0, 3.0)] == (1.0, 1.0)


@pytest.mark.slow
def test_sweep_command_prints_the_breaking_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "burst.chaos.yaml"
    calm = BURST.split("faults:", maxsplit=1)[0] + "assertions:" + BURST.split("assertions:")[1]
    path.write_text(calm)
    code = main(
        [
            "sweep",
            str(path),
            "--vary",
            "workload.bursts[0].rate=2/s..82/s",
            "--resolution",
            "10/s",
            "-j",
            "1",
            "--report",
            "terminal,html",
            "--reports-dir",
            str(tmp_path / "reports"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "sync survives workload.bursts[0].rate up to 22/s (fails at 32/s)" in out
    assert "survival against workload.bursts[0].rate" in out
    html = (tmp_path / "reports" / "chaos-report.html").read_text()
    assert "survival against workload.bursts[0].rate" in html
    assert "sweep round 0 done" in err


def test_sweep_command_rejects_a_bad_path_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "burst.chaos.yaml"
    path.write_text(BURST)
    code = main(["sweep", str(path), "--vary", "workload.burst[0].rate=1/s..2/s"])
    assert code == 2
    assert "valid keys: steady, bursts" in capsys.readouterr().err
