"""The request limit: an experiment that sends more requests a run than the limit is a
located `validate` error (exit 2; a pytest error item), counted without generating them."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chaos._cli import main
from chaos._errors import SpecError
from chaos._loading import experiment_model, experiment_schema, loader
from chaos._spec.types import YAML_CONTEXT
from chaos._spec.volume import DEFAULT_MAX_REQUESTS, request_count
from chaos._workload.arrivals import arrival_times

ROOT = Path(__file__).resolve().parents[2]
HUGE = """\
experiment: huge
duration: 2h
workload:
  steady: {rate: 100000/s, for: 1h}
"""
"""Issue 13's file: 360 million requests, which passed `validate` and exhausted memory."""

LOCATION = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+):(?P<column>\d+): (?P<message>.*)$")


def experiment(workload: dict[str, Any], duration: str = "10m") -> Any:
    return experiment_model().model_validate(
        {"experiment": "w", "duration": duration, "workload": workload}, context=YAML_CONTEXT
    )


@pytest.mark.parametrize(
    "workload",
    [
        {"steady": {"rate": "20/s"}},
        {"steady": {"rate": "3/s", "at": "7s", "for": "1m"}},
        {"steady": {"rate": "600/m", "for": "1m"}},
        {"steady": {"rate": "7/h"}},
        {
            "bursts": [
                {"rate": "333/s", "at": "1m", "for": "10s"},
                {"rate": "2.5/s", "at": "0s", "for": "9m"},
            ]
        },
        {"ramps": [{"from": "0/s", "to": "40/s", "at": "1m", "for": "2m"}]},
        {"ramps": [{"from": "30/s", "to": "5/s", "for": "10m"}]},
        {
            "steady": {"rate": "1/s"},
            "ramps": [{"from": "1/s", "to": "9/s", "at": "5m", "for": "10m"}],
        },
    ],
)
def test_the_count_is_what_the_run_sends(workload: dict[str, Any]) -> None:
    """The closed-form count equals the arrivals the run generates (evenly spaced), a ramp
    cut by the end of the experiment included."""
    model = experiment(workload, duration="10m")
    sent = len(arrival_times(model.workload, model.duration, random.Random(1)))
    assert request_count(model.workload, model.duration) == sent > 0


def test_validate_refuses_an_experiment_above_the_limit_at_its_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.chaos.yaml"
    path.write_text(HUGE)
    assert main(["validate", "--no-import", str(path)]) == 2
    out = capsys.readouterr().out
    (found,) = [m for line in out.splitlines() if (m := LOCATION.match(line))]
    assert (found["path"], found["line"]) == (str(path), "4")
    assert found["message"] == (
        "this experiment sends 360,000,000 requests a run, more than the limit of 1,000,000"
    )
    assert "at: workload.steady.rate" in out and "--max-requests" in out


def test_the_limit_is_configurable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.chaos.yaml"
    path.write_text(HUGE)
    assert main(["validate", "--no-import", "--max-requests", "360000000", str(path)]) == 0
    assert main(["validate", "--no-import", "--max-requests", "359_999_999", str(path)]) == 2
    assert "more than the limit of 359,999,999" in capsys.readouterr().out


def test_run_refuses_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run` ends with the same located error (exit 2) instead of a MemoryError after
    70-90 s; nothing is written."""
    path = tmp_path / "huge.chaos.yaml"
    path.write_text(HUGE)
    journals = tmp_path / "journals"
    assert main(["run", str(path), "--journal", str(journals)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4:18: this experiment sends 360,000,000 requests a run" in err
    assert not journals.exists()


@pytest.mark.parametrize("limit", ["0", "-5", "many"])
def test_a_bad_limit_is_a_usage_error(limit: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["validate", "--max-requests", limit, "experiments"])
    assert exited.value.code == 2
    assert "--max-requests" in capsys.readouterr().err


@pytest.mark.parametrize("rate", ["1e12/s", "1000000000000/s", "1.0e12/s", "1000000000000.0/s"])
def test_every_spelling_of_a_rate_meets_the_limit(tmp_path: Path, rate: str) -> None:
    """Issue 13: `1e12/s` was "not a rate" while its integer spelling passed validate. Both
    are rates now, of the same value, and both are refused by the limit alike."""
    path = tmp_path / "fast.chaos.yaml"
    path.write_text(f"experiment: fast\nduration: 1m\nworkload:\n  steady: {{rate: {rate}}}\n")
    with pytest.raises(SpecError) as caught:
        loader().file(path)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.message.startswith("this experiment sends 60,000,000,000,000 requests")
    assert (diagnostic.line, diagnostic.key_path) == (4, "workload.steady.rate")


def test_the_schema_takes_an_exponent_as_the_loader_does() -> None:
    validator = jsonschema.Draft202012Validator(experiment_schema())
    document = {"experiment": "e", "duration": "1e3s", "workload": {"steady": {"rate": "1e2/s"}}}
    assert list(validator.iter_errors(document)) == []
    assert list(validator.iter_errors({**document, "duration": "0e3s"}))


def test_the_part_that_sends_most_is_named() -> None:
    """With several parts, the diagnostic sits at the biggest one and says its share."""
    text = HUGE.replace(
        "steady: {rate: 100000/s, for: 1h}",
        "steady: {rate: 10/s}\n  bursts:\n    - {rate: 2000/s, at: 1m, for: 10m}",
    )
    with pytest.raises(SpecError) as caught:
        loader().text(text, "mixed.chaos.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.key_path == "workload.bursts[0].rate" and diagnostic.line == 6
    assert diagnostic.message == (
        "this experiment sends 1,272,000 requests a run, more than the limit of 1,000,000; "
        "a burst here sends 1,200,000 of them"
    )


def test_a_poisson_count_is_an_expectation() -> None:
    text = HUGE.replace("workload:\n", "workload:\n  arrivals: poisson\n")
    with pytest.raises(SpecError, match="sends about 360,000,000 requests"):
        loader().text(text, "poisson.chaos.yaml")


def test_no_limit_when_none_is_set() -> None:
    (loaded,) = loader(max_requests=None).text(HUGE, "huge.chaos.yaml")
    assert loaded.experiment.experiment == "huge"


def test_shipped_experiments_pass_the_default_comfortably() -> None:
    """The default leaves the library, examples and benches two orders of magnitude of room."""
    paths = [ROOT / "experiments", *(p for p in (ROOT / "examples").iterdir() if p.is_dir())]
    loaded = loader().paths([*paths, ROOT / "bench" / "burst"])
    most = max(request_count(e.experiment.workload, e.experiment.duration) for e in loaded)
    assert 0 < most <= DEFAULT_MAX_REQUESTS / 50
