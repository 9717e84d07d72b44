"""chaos.api: experiments from YAML text, mappings and files, run from Python."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chaos._errors import SpecError
from chaos.api import UnexpectedVerdict, check, counts, load, run

YAML = """
    experiment: from-python
    duration: 10s
    systems: [eda]
    workload: {steady: {rate: 2/s, for: 5s}}
    assertions: [no_loss]
"""


def test_yaml_text_may_be_indented_like_the_code_around_it() -> None:
    loaded = load(YAML, path=Path("tests/test_orders.py"), line=40)
    assert loaded.experiment.experiment == "from-python"
    assert (loaded.path, loaded.line) == (Path("tests/test_orders.py"), 40)


def test_problems_in_yaml_text_point_at_lines_of_the_python_file() -> None:
    with pytest.raises(SpecError) as error:
        load(YAML.replace("2/s", "2/x"), path=Path("tests/test_orders.py"), line=40)
    (diagnostic,) = error.value.diagnostics
    assert (diagnostic.path, diagnostic.line) == ("tests/test_orders.py", 43)
    assert "is not a rate" in diagnostic.message


def test_a_mapping_takes_numbers_in_base_units() -> None:
    loaded = load(
        {"experiment": "mapped", "duration": 10, "workload": {"steady": {"rate": 2, "for": 5}}}
    )
    assert loaded.experiment.duration == 10
    with pytest.raises(SpecError, match="workload"):
        load({"experiment": "mapped", "duration": 10})


MAPPED: dict[str, Any] = {
    "experiment": "mapped",
    "duration": 10,
    "systems": ["eda"],
    "workload": {"steady": {"rate": 2, "for": 5}},
}


def test_a_misspelt_fault_in_a_mapping_is_named_with_a_did_you_mean() -> None:
    with pytest.raises(SpecError) as error:
        run({**MAPPED, "faults": [{"lambda.eror": {"probability": 0.5}}]}, "eda")
    (diagnostic,) = error.value.diagnostics
    assert (diagnostic.path, diagnostic.key_path) == ("<python>", "faults[0].lambda.eror")
    assert diagnostic.message == "unknown fault type 'lambda.eror'"
    assert (diagnostic.hint or "").startswith("did you mean 'lambda.error'? valid fault types:")
    assert "Input tag" not in str(error.value)  # pydantic's own text never shows


def test_a_mapping_meets_the_same_rules_as_a_file() -> None:
    """Unknown keys, windows, systems, `expect` and targets: every problem at once, each
    with its key path, what was given and what would be valid."""
    with pytest.raises(SpecError) as error:
        load(
            {
                **MAPPED,
                "systems": ["sync", "edaa"],
                "workload": {"steady": {"rate": 2, "fro": 5}},
                "faults": [{"lambda.error": {"at": 20, "target": "apii"}}],
                "expect": {"syncc": "fails"},
            },
            path=Path("tests/test_orders.py"),
            line=12,
        )
    found = {d.key_path: d for d in error.value.diagnostics}
    assert {d.location() for d in found.values()} == {"tests/test_orders.py:12"}
    assert found["systems[1]"].message == "unknown system 'edaa'"
    assert (found["systems[1]"].hint or "").startswith("did you mean 'eda'?")
    assert (found["workload.steady.fro"].hint or "").startswith("did you mean 'for'?")
    at = found["faults[0].lambda.error.at"]
    assert (at.message, at.value) == (
        "fault 'lambda.error' starts at 20s, after the experiment ends (10s)",
        "20",
    )
    assert "expect.syncc" in found


def test_mappings_and_models_carry_their_resolved_systems() -> None:
    loaded = load(MAPPED)
    assert [s.name for s in loaded.systems] == ["eda"]
    assert load(loaded.experiment).systems == loaded.systems


def test_a_file_with_several_experiments_needs_a_name(tmp_path: Path) -> None:
    path = tmp_path / "two.chaos.yaml"
    path.write_text(
        YAML.replace("    ", "")
        + "---\n"
        + YAML.replace("    ", "").replace("from-python", "second")
    )
    with pytest.raises(SpecError, match="pass name= to choose an experiment"):
        load(path)
    assert load(path, name="second").experiment.experiment == "second"


def test_run_check_and_counts() -> None:
    outcome = run(YAML, "eda", seed=5)
    assert outcome.seed == 5
    assert outcome.as_expected
    check(outcome)
    assert counts(outcome)["sent"] == 10
    surprised = run(YAML + "    expect: {eda: fails}\n", "eda")
    with pytest.raises(UnexpectedVerdict) as error:
        check(surprised)
    assert str(error.value).startswith(
        "eda (event-driven) survived, but from-python expects it to fail."
    )
    assert "reproduce: run it again with seed 1" in str(error.value)


def test_a_misspelt_system_to_run_is_named_with_a_did_you_mean() -> None:
    with pytest.raises(SpecError) as error:
        run(YAML, "edaa")
    (diagnostic,) = error.value.diagnostics
    assert (diagnostic.path, diagnostic.key_path) == ("<python>", "system")
    assert diagnostic.message == "unknown system 'edaa'"
    assert (diagnostic.hint or "").startswith("did you mean 'eda'?")
