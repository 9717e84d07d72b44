"""The loader and the models behind it: shapes, short forms, locations, cross-key rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from chaos._errors import SpecError
from chaos._loading import loader
from chaos._spec.experiment import Experiment, Steady
from chaos._spec.system import SystemDefinition

HERE = Path(__file__).parent
HEAD = "experiment: x\nduration: 10m\nworkload:\n  steady: {rate: 10/s}\n"


def _one(text: str) -> Experiment:
    (loaded,) = loader().text(text, base_dir=HERE / "valid")
    return loaded.experiment


def _problems(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(SpecError) as caught:
        loader().text(text, base_dir=HERE / "valid")
    return [(d.line, d.key_path, d.message) for d in caught.value.diagnostics]


def test_short_forms_of_faults_and_assertions() -> None:
    experiment = _one(
        HEAD + "faults:\n  - lambda.timeout\n  - lambda.cold_start:\n"
        "assertions:\n  - no_loss\n  - dlq: only_poison\n  - db_protected: 3\n"
        "  - success_rate: 99%\n"
    )
    faults = experiment.faults
    assert [f.fault_type for f in faults] == ["lambda.timeout", "lambda.cold_start"]
    assert faults[0].params.probability == 1.0
    assertions = experiment.assertions
    assert [a.params.model_dump() for a in assertions[1:]] == [
        {"mode": "only_poison"},
        {"max_throttles": 3},
        {"min": 0.99},
    ]


def test_units_become_base_units() -> None:
    experiment = _one(
        "experiment: x\nduration: 1h\nworkload:\n"
        "  steady: {rate: 600/m, at: 250ms, for: 30m}\n  poison: 2%\n"
        "  payload_size: 4KiB\n  client: {retry: {when: [429, 5xx]}}\n"
    )
    workload = experiment.workload
    assert experiment.duration == 3600
    assert (workload.steady.rate, workload.steady.at, workload.steady.duration) == (10, 0.25, 1800)
    assert (workload.poison, workload.payload_size) == (0.02, 4096)
    assert workload.client.retry.when == ("429", "5xx")


def test_python_takes_base_units_and_field_names() -> None:
    assert Steady(rate=5, duration=30).duration == 30


def test_files_spell_aliases_only() -> None:
    assert _problems(HEAD.replace("{rate: 10/s}", "{rate: 10/s, duration: 1m}")) == [
        (4, "workload.steady.duration", "unknown key 'duration'")
    ]
    with pytest.raises(SpecError, match="did you mean 'for'"):
        loader().text(HEAD.replace("{rate: 10/s}", "{rate: 10/s, duration: 1m}"))


def test_several_experiments_keep_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "two.chaos.yaml"
    second = HEAD.replace("experiment: x", "experiment: y")
    path.write_text(f"# two documents\n{HEAD}---\n{second}")
    assert [(e.experiment.experiment, e.line, e.path) for e in loader().file(path)] == [
        ("x", 2, path),
        ("y", 7, path),
    ]


def test_problems_of_all_files_come_at_once_sorted(tmp_path: Path) -> None:
    (tmp_path / "a.chaos.yaml").write_text(HEAD + "seed: -1\ntags: [Bad]\n")
    (tmp_path / "b.chaos.yaml").write_text("experiment: b\n")
    with pytest.raises(SpecError) as caught:
        loader().paths([tmp_path])
    assert [(Path(d.path).name, d.line, d.key_path) for d in caught.value.diagnostics] == [
        ("a.chaos.yaml", 5, "seed"),
        ("a.chaos.yaml", 6, "tags[0]"),
        ("b.chaos.yaml", 1, "duration"),
        ("b.chaos.yaml", 1, "workload"),
    ]


def test_every_problem_of_a_broken_file_at_once() -> None:
    found = _problems(
        "experiment: x\nduration: 10m\nsystems: [sync]\nworkload:\n"
        "  steady: {rate: 10/s, colour: red}\n"
        "faults:\n  - lambda.error: {at: 11m, target: apii}\nexpect: {syncc: fails}\n"
    )
    assert found == [
        (5, "workload.steady.colour", "unknown key 'colour'"),
        (
            7,
            "faults[0].lambda.error.at",
            "fault 'lambda.error' starts at 11m, after the experiment ends (10m)",
        ),
        (7, "faults[0].lambda.error.target", "no function named 'apii' in system 'sync'"),
        (8, "expect.syncc", "expect names system 'syncc', which this experiment does not run"),
    ]


def test_a_misspelt_system_is_reported_once() -> None:
    found = _problems(
        HEAD + "systems: [sync, edaa]\nfaults:\n  - lambda.error: {target: consumer}\n"
        "expect: {eda: fails}\n"
    )
    assert found == [(5, "systems[1]", "unknown system 'edaa'")]


def test_windows_may_end_exactly_at_the_end() -> None:
    assert _one(
        "experiment: x\nduration: 10m\nworkload:\n  steady: {rate: 1/s, at: 5m, for: 5m}\n"
        "faults:\n  - lambda.error: {at: 9m, for: 1m}\n"
    )


def test_targets_that_every_system_has() -> None:
    assert _one(HEAD + "faults:\n  - dynamodb.error: {target: orders}\n")
    assert _one(HEAD + "systems: [eda]\nfaults:\n  - lambda.error: {target: consumer}\n")


def test_systems_by_path_are_named_by_their_definition() -> None:
    experiment = _one(HEAD + "systems: [systems/small-sync.yaml]\nexpect: {small-sync: fails}\n")
    assert experiment.system_names() == ["systems/small-sync.yaml"]


def test_handlers_are_imported_only_on_request() -> None:
    corpus = HERE / "corpus"
    assert loader().file(corpus / "handler-import.chaos.yaml")
    with pytest.raises(SpecError, match="cannot import handler"):
        loader(import_handlers=True).file(corpus / "handler-import.chaos.yaml")


def test_a_loaded_experiment_carries_its_systems_with_overrides_merged() -> None:
    (loaded,) = loader().text(HEAD + "systems:\n  - eda:\n      queue: {visibility_timeout: 2m}\n")
    (resolved,) = loaded.systems
    assert resolved.definition.queue is not None
    assert resolved.definition.queue.visibility_timeout == 120


def test_systems_are_resolved_in_order_relative_to_the_file() -> None:
    """Loading a file resolves its systems once (overrides merged, paths relative to the
    file), in the order it names them; the run takes them from the loaded experiment."""
    (loaded,) = loader().file(HERE / "valid" / "full-format.chaos.yaml")
    assert [s.ref for s in loaded.systems] == loaded.experiment.system_names()
    assert all(s.source.is_absolute() and s.source.is_file() for s in loaded.systems)


def test_aws_limits_hold_from_python_too() -> None:
    with pytest.raises(ValidationError) as caught:
        SystemDefinition.model_validate(
            {
                "system": "s",
                "architecture": "event_driven",
                "functions": {"worker": {"handler": "m:h", "timeout": 60}},
                "queue": {"name": "q", "visibility_timeout": 30},
                "consumer": {"function": "worker"},
                "tables": {"table": {}},
                "effects": {"table": "table"},
            }
        )
    assert (
        "queue.visibility_timeout: the queue's visibility timeout 30s is shorter than the "
        "timeout 1m" in str(caught.value)
    )


def test_duplicate_keys_anywhere() -> None:
    assert _problems(HEAD + "faults:\n  - lambda.error: {at: 1m, at: 2m}\n") == [
        (6, "faults[0].lambda.error.at", "duplicate key 'at'")
    ]


def test_merge_keys_are_not_duplicates() -> None:
    experiment = _one(
        "experiment: x\nduration: 10m\nworkload:\n  steady:\n"
        "    <<: {rate: 1/s, at: 1m}\n    rate: 10/s\n"
    )
    assert experiment.workload.steady.rate == 10


def test_fault_windows_and_the_seed_that_runs_come_from_the_experiment() -> None:
    """One computation each: the schedule, the evidence and the reports take their fault
    windows from `fault_windows`, and every way of running its seed from `run_seed`."""
    experiment = _one(
        HEAD + "seed: 7\nfaults:\n  - lambda.error: {at: 1m, for: 2m}\n"
        "  - dynamodb.error: {at: 9m, for: 1m, target: orders}\n  - lambda.latency: "
        "{delay: 1s}\n"
    )
    assert [(w.index, w.label, w.start, w.end) for w in experiment.fault_windows()] == [
        (0, "lambda.error", 60.0, 180.0),
        (1, "dynamodb.error on orders", 540.0, 600.0),
        (2, "lambda.latency", 0.0, 600.0),
    ]
    assert (experiment.run_seed(), experiment.run_seed(3)) == (7, 3)
