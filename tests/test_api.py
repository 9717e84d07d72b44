"""chaos.api: experiments from YAML text, mappings and files, run from Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.api import UnexpectedVerdict, check, counts, load, run
from chaos.errors import SpecError

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
