"""Fault-space search: Hypothesis's engine finds a point of an experiment's `search:` space
under which its assertions fail, shrinks it (fewest faults, values nearest their ranges'
first bounds) within a budget of runs, and writes it as a valid experiment that fails."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import find, settings

from chaos import strategies
from chaos._cli import main
from chaos._errors import SpecError
from chaos._loading import loader
from chaos._search.space import set_path
from chaos._spec.ranges import RangeError, parse_range
from chaos._spec.units import parse_duration

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "examples" / "decisions" / "outage-search.chaos.yaml"
)
SURVIVED = EXAMPLE.read_text(encoding="utf-8")

OUTAGE = "lambda.throttle: {concurrency: 0, target: consumer, at: 0s..1m, for: 10s..5m}"
ERRORS = "lambda.error: {probability: 1%..50%, at: 0s..1m}"


def test_ranges_keep_their_units_and_their_direction() -> None:
    duration = parse_range("30s..5m")
    assert (duration.written(0), duration.written(duration.steps)) == ("30s", "5m")
    share = parse_range("1%..50%")
    assert share.written(share.steps // 2) in ("25.5%", "25.4%", "25.6%")
    count = parse_range("20..2")
    assert [count.written(i) for i in (0, 1, count.steps)] == [20, 19, 2]
    with pytest.raises(RangeError, match="not the same kind"):
        parse_range("1%..5s")


def test_schedules_shrink_to_fewest_faults_and_first_bounds() -> None:
    """The minimal schedule with an outage of at least a minute is that outage alone, at
    0s, for exactly 1m: Hypothesis's shrinker leaves the other candidate out and moves
    every value to its first bound."""

    def long_outage(schedule: list[dict[str, dict[str, str]]]) -> bool:
        return any(
            "lambda.throttle" in entry and parse_duration(entry["lambda.throttle"]["for"]) >= 60
            for entry in schedule
        )

    minimal = find(
        strategies.fault_schedules(ERRORS, OUTAGE, duration="10m"),
        long_outage,
        settings=settings(database=None, max_examples=100),
    )
    assert minimal == [
        {"lambda.throttle": {"concurrency": 0, "target": "consumer", "at": "0s", "for": "1m"}}
    ]


def test_windows_are_cut_at_the_experiment_end() -> None:
    minimal = find(
        strategies.fault_schedules("lambda.error: {at: 50s..1m, for: 30s}", duration="1m"),
        bool,
        settings=settings(database=None),
    )
    assert minimal == [{"lambda.error": {"at": "50s", "for": "10s"}}]


def test_strategies_refuse_bad_ranges() -> None:
    with pytest.raises(SpecError, match="probability"):
        strategies.fault_schedules("lambda.error: {probability: 1%..5s}")


def test_key_paths_set_nested_settings() -> None:
    document: dict[str, object] = {"bursts": [{"rate": "1/s"}]}
    set_path(document, "bursts[0].rate", "9/s")
    set_path(document, "queue.dead_letter.max_receive_count", 3)
    assert document == {
        "bursts": [{"rate": "9/s"}],
        "queue": {"dead_letter": {"max_receive_count": 3}},
    }


@pytest.mark.parametrize(
    ("space", "key", "says"),
    [
        (
            "  faults:\n    - lambda.eror: {probability: 1%..50%}\n",
            "search.faults[0].lambda.eror",
            "did you mean 'lambda.error'",
        ),
        (
            "  faults:\n    - lambda.error: {probability: 1%..150%}\n",
            "search.faults[0].lambda.error.probability",
            "100%",
        ),
        (
            "  faults:\n    - lambda.error: {probability: 50%..2}\n",
            "search.faults[0].lambda.error.probability",
            "same kind",
        ),
        ("  workload:\n    steady.rate: 5/s\n", "search.workload.steady.rate", "needs a range"),
        ("  {}\n", "search.faults", "nothing to vary"),
    ],
)
def test_bad_search_spaces_are_located(space: str, key: str, says: str, tmp_path: Path) -> None:
    path = tmp_path / "s.chaos.yaml"
    path.write_text(SURVIVED.split("search:", maxsplit=1)[0] + "search:\n" + space)
    with pytest.raises(SpecError) as caught:
        loader().file(path)
    (problem,) = caught.value.diagnostics
    assert problem.key_path == key
    assert problem.line > 18
    assert says in f"{problem.message} {problem.hint}"


@pytest.mark.slow
def test_search_finds_shrinks_and_writes_a_failing_experiment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The done-when of issue 15 item 3, end to end through the command line: an experiment
    eda survives, a space with a consumer outage and the queue's maxReceiveCount; the search
    finds a failure within its budget, shrinks it, writes a file that validates and that
    `chaos-arena run` judges failed, as its `expect` says."""
    source = tmp_path / "outage-search.chaos.yaml"
    source.write_text(SURVIVED)
    assert main(["run", str(source), "-j", "1"]) == 0  # eda survives the experiment as is
    capsys.readouterr()
    out, database = tmp_path / "found", tmp_path / "db"
    budget = ["--budget", "8", "--output", str(out), "--database", str(database)]
    assert main(["search", str(source), "--system", "eda", *budget]) == 1
    printed, progress = capsys.readouterr()
    written = out / "outage-search-found-eda.chaos.yaml"
    assert f"wrote {written}" in printed
    assert "shrunk to:" in printed
    assert "search: 1/8 tried" in progress and "best failure so far" in progress
    lines = [line for line in progress.splitlines() if line.startswith("search: ")]
    assert len(lines) <= 8  # the budget counts every run, shrinking included

    document = yaml.safe_load(written.read_text())
    assert document["experiment"] == "outage-search-found-eda"
    assert document["seed"] == 3
    assert document["expect"] == {"eda": "fails"}
    assert "search" not in document
    assert 1 <= len(document["faults"]) <= 2
    assert main(["validate", str(written)]) == 0
    assert main(["run", str(written), "-j", "1"]) == 0  # failed, as expected
    assert "eda failed" in capsys.readouterr().out
