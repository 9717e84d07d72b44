"""Collection: one item per experiment and system, stable ids, markers, where files are found.

None of these tests runs an experiment (`--collect-only`), so they are fast.
"""

from __future__ import annotations

import pytest

from tests.plugin.samples import CALM, INVALID, THROTTLED

pytest_plugins = ["pytester"]


def collected(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if "::" in line]


def test_one_item_per_experiment_and_system_in_file_order(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", b=CALM)
    pytester.makefile(".chaos.yaml", a=THROTTLED + "---\n" + CALM.replace("calm", "second"))
    result = pytester.runpytest("--collect-only", "-q")
    assert collected(result) == [
        "a.chaos.yaml::throttled[sync]",
        "a.chaos.yaml::throttled[eda]",
        "a.chaos.yaml::second[eda]",
        "b.chaos.yaml::calm[eda]",
    ]


def test_ids_are_paths_relative_to_the_rootdir(pytester: pytest.Pytester) -> None:
    pytester.mkdir("experiments")
    (pytester.path / "experiments" / "calm.chaos.yaml").write_text(CALM)
    result = pytester.runpytest("--collect-only", "-q")
    assert collected(result) == ["experiments/calm.chaos.yaml::calm[eda]"]


def test_the_chaos_marker_selects_experiments(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=THROTTLED)
    pytester.makepyfile(test_unit="def test_unit():\n    pass\n")
    chaos = pytester.runpytest("--collect-only", "-q", "-m", "chaos")
    assert collected(chaos) == ["a.chaos.yaml::throttled[sync]", "a.chaos.yaml::throttled[eda]"]
    unit = pytester.runpytest("--collect-only", "-q", "-m", "not chaos")
    assert collected(unit) == ["test_unit.py::test_unit"]
    eda = pytester.runpytest("--collect-only", "-q", "-m", "chaos(system='eda')")
    assert collected(eda) == ["a.chaos.yaml::throttled[eda]"]


def test_nothing_selected_exits_5(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unit="def test_unit():\n    pass\n")
    result = pytester.runpytest("-m", "chaos")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_yaml_tags_are_markers_even_with_strict_markers(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=THROTTLED, b=CALM)
    result = pytester.runpytest("--collect-only", "-q", "--strict-markers", "-m", "nightly")
    assert collected(result) == ["b.chaos.yaml::calm[eda]"]


def test_chaos_system_deselects_other_systems(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=THROTTLED)
    result = pytester.runpytest("--collect-only", "-q", "--chaos-system", "sync")
    assert collected(result) == ["a.chaos.yaml::throttled[sync]"]
    result.stdout.fnmatch_lines(["*1 deselected*"])


def test_chaos_paths_limits_where_experiments_are_collected(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nchaos_paths = experiments\n")
    pytester.mkdir("experiments")
    pytester.mkdir("data")
    (pytester.path / "experiments" / "calm.chaos.yaml").write_text(CALM)
    (pytester.path / "data" / "broken.chaos.yaml").write_text(INVALID)
    everywhere = pytester.runpytest("--collect-only", "-q")
    assert collected(everywhere) == ["experiments/calm.chaos.yaml::calm[eda]"]
    # A file named on the command line is collected wherever it is.
    named = pytester.runpytest("--collect-only", "-q", "data/broken.chaos.yaml")
    assert collected(named) == ["data/broken.chaos.yaml::validate"]


def test_file_patterns_are_configurable(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nchaos_files = *.experiment.yml\n")
    pytester.makefile(".experiment.yml", calm=CALM)
    pytester.makefile(".chaos.yaml", other=CALM)
    result = pytester.runpytest("--collect-only", "-q")
    assert collected(result) == ["calm.experiment.yml::calm[eda]"]


def test_an_invalid_file_is_one_error_item_not_a_collection_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".chaos.yaml", broken=INVALID, good=CALM)
    result = pytester.runpytest("--collect-only", "-q")
    assert collected(result) == ["broken.chaos.yaml::validate", "good.chaos.yaml::calm[eda]"]
    assert result.ret == pytest.ExitCode.OK


def test_a_name_another_file_already_uses_is_an_error_item(pytester: pytest.Pytester) -> None:
    """Two files may not share an experiment name (their journals would collide): the later
    file's experiment becomes an error item; the rest of the session runs."""
    pytester.makefile(".chaos.yaml", a=CALM, b=CALM)
    result = pytester.runpytest("--collect-only", "-q")
    assert collected(result) == ["a.chaos.yaml::calm[eda]", "b.chaos.yaml::calm"]
    result = pytester.runpytest("-q")
    result.stdout.fnmatch_lines(["*experiment name 'calm' is also used in a.chaos.yaml:*"])
    result.assert_outcomes(passed=1, errors=1)


def test_a_broken_file_shows_under_a_system_filter(pytester: pytest.Pytester) -> None:
    """Filtering by system must not hide that a file is broken: its error item answers to
    every registered system."""
    pytester.makefile(".chaos.yaml", broken=INVALID, good=CALM)
    result = pytester.runpytest("--collect-only", "-q", "-m", "chaos(system='eda')")
    assert collected(result) == ["broken.chaos.yaml::validate", "good.chaos.yaml::calm[eda]"]
    result = pytester.runpytest("--collect-only", "-q", "-m", "chaos(system='sync')")
    assert collected(result) == ["broken.chaos.yaml::validate"]


def test_the_report_header_prints_the_seed(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=CALM)
    default = pytester.runpytest("--collect-only")
    default.stdout.fnmatch_lines(["chaos-arena *: seed each experiment's own*"])
    fixed = pytester.runpytest("--collect-only", "--chaos-seed", "7")
    fixed.stdout.fnmatch_lines(["chaos-arena *: seed --chaos-seed=7*"])


def test_an_unknown_report_kind_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--chaos-report", "pdf")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--chaos-report: unknown report kind 'pdf'*"])


def test_collection_imports_neither_the_engine_nor_aws(pytester: pytest.Pytester) -> None:
    """The plugin loads in every pytest session: collecting must stay cheap."""
    pytester.makefile(".chaos.yaml", a=THROTTLED)
    pytester.makeconftest(
        "import sys\n"
        "def pytest_collection_finish(session):\n"
        "    heavy = sorted(m for m in ('moto', 'boto3', 'botocore', 'simpy', 'rich')\n"
        "                   if m in sys.modules)\n"
        "    print('HEAVY', heavy)\n"
    )
    result = pytester.runpytest_subprocess("--collect-only", "-q", "-s")
    result.stdout.fnmatch_lines(["HEAVY []"])


HUGE = """\
experiment: huge
duration: 2h
workload:
  steady: {rate: 100000/s, for: 1h}
"""
"""360 million requests a run, above the default limit of a million."""


def test_an_experiment_above_the_request_limit_is_an_error_item(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".chaos.yaml", huge=HUGE, good=CALM)
    result = pytester.runpytest("--collect-only", "-q")
    assert collected(result) == ["good.chaos.yaml::calm[eda]", "huge.chaos.yaml::validate"]
    result = pytester.runpytest("-q", "huge.chaos.yaml")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "huge.chaos.yaml:4:18: this experiment sends 360,000,000 requests a run, "
            "more than the limit of 1,000,000",
            "*at: workload.steady.rate",
        ]
    )


def test_the_request_limit_is_an_ini_key_and_an_option(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", huge=HUGE)
    pytester.makeini("[pytest]\nchaos_max_requests = 400_000_000\n")
    raised = pytester.runpytest("--collect-only", "-q")
    assert collected(raised) == ["huge.chaos.yaml::huge[sync]", "huge.chaos.yaml::huge[eda]"]
    lowered = pytester.runpytest("--collect-only", "-q", "--chaos-max-requests", "1000")
    assert collected(lowered) == ["huge.chaos.yaml::validate"]


@pytest.mark.parametrize("value", ["lots", "0"])
def test_a_bad_request_limit_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    pytester.makeini(f"[pytest]\nchaos_max_requests = {value}\n")
    result = pytester.runpytest("--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini chaos_max_requests: *"])
