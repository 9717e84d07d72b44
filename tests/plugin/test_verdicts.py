"""Running experiments under pytest: pass and fail by expectation, readable failures, error
items, JUnit properties, journals, report files and the `chaos_run` fixture."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.plugin.samples import CALM, INVALID, THROTTLED, UNEXPECTED

pytest_plugins = ["pytester"]


def test_verdicts_as_expected_pass_and_the_report_follows(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=THROTTLED)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*chaos-arena · 1 experiment, 2 runs · seed 1*",
            "throttled ───*",
            " a.chaos.yaml:1 · seed 1 · 20s simulated",
            "*scoreboard*",
            "*All 2 verdicts as expected.",
        ]
    )


def test_an_unexpected_verdict_fails_with_the_finding(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=CALM + "---\n" + UNEXPECTED)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ optimistic?sync? _*",
            "sync failed, but optimistic expects it to survive.",
            "  ✓ no_loss: 0 of * accepted lost",
            "  ✗ success_rate: * healthy requests failed at the client*",
            "       * Lambda throttle at its concurrency limit*during lambda.throttle",
            "  faults in this experiment: lambda.throttle",
            "  request r0* (and * other sampled requests like it):",
            "*  client sent attempt 1",
            "  reproduce: chaos-arena run a.chaos.yaml --experiment optimistic --system sync "
            "--seed 1",
            "  rerun:     pytest 'a.chaos.yaml::optimistic?sync?' --chaos-seed 1",
            # The YAML line of the experiment (the second document), where editors can jump.
            "a.chaos.yaml:[89]: sync failed, expected survived: *",
            "FAILED a.chaos.yaml::optimistic?sync? - sync failed, expected survived: *",
        ]
    )
    # The finding, not chaos-arena's stack.
    assert "pytest_plugin" not in result.stdout.str()


def test_chaos_stories_caps_the_request_stories(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=UNEXPECTED)
    capped = pytester.runpytest("--chaos-system", "sync", "--chaos-stories", "0")
    capped.assert_outcomes(failed=1)
    capped.stdout.fnmatch_lines(
        [
            "  ... 1 more kind of request story (--chaos-stories N shows more; journals "
            "(--chaos-journal DIR) keep them all)"
        ]
    )
    assert "  request r0" not in capped.stdout.str()
    every = pytester.runpytest("--chaos-system", "sync", "--chaos-stories", "all")
    every.stdout.fnmatch_lines(["  request r0*"])
    assert "more kind" not in every.stdout.str()
    pytester.makeini("[pytest]\nchaos_stories = 0\n")
    from_ini = pytester.runpytest("--chaos-system", "sync")
    from_ini.stdout.fnmatch_lines(["  ... 1 more kind of request story*"])


def test_a_bad_chaos_stories_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=CALM)
    result = pytester.runpytest("--chaos-stories", "many")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--chaos-stories: 'many' is not a number of stories*"])


def test_full_trace_restores_the_traceback(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=UNEXPECTED)
    result = pytester.runpytest("--chaos-full-trace", "--chaos-system", "sync")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E*UnexpectedVerdict: sync failed*", "*pytest_plugin/items.py:*"])


def test_an_invalid_file_errors_and_the_others_still_run(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", broken=INVALID, good=CALM)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # not INTERRUPTED: the session went on
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of validate*",
            "invalid experiment: 2 problems",
            "broken.chaos.yaml:3:*'5/x' is not a rate",
            "broken.chaos.yaml:4:*unknown fault type 'lambda.trottle'",
            "*did you mean 'lambda.throttle'?*",
            "ERROR broken.chaos.yaml::validate - '5/x' is not a rate (and 1 more problem)",
        ]
    )
    assert "Interrupted" not in result.stdout.str()


def test_counts_and_verdicts_become_junit_properties(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=THROTTLED)
    pytester.runpytest("--junitxml=junit.xml").assert_outcomes(passed=2)
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    properties = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in cases
    }
    sync = properties["throttled[sync]"]
    assert sync["chaos.verdict"] == "failed"
    assert sync["chaos.expected"] == "failed"
    assert sync["chaos.as_expected"] == "true"
    assert sync["chaos.seed"] == "1"
    assert sync["chaos.sent"] == "50"
    assert int(sync["chaos.accepted"]) < 50
    assert sync["chaos.source"] == "a.chaos.yaml:1"
    assert properties["throttled[eda]"]["chaos.verdict"] == "survived"
    assert properties["throttled[eda]"]["chaos.lost"] == "0"


def test_junit_failure_message_is_the_one_line_verdict(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=UNEXPECTED)
    pytester.runpytest("--junitxml=junit.xml", "--chaos-system", "sync")
    failure = next(ET.parse(pytester.path / "junit.xml").getroot().iter("failure"))
    assert failure.get("message", "").startswith("sync failed, expected survived: ")
    assert "Lambda throttle at its concurrency limit" in (failure.text or "")


def test_seed_override_reaches_the_journal(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=CALM)
    result = pytester.runpytest("--chaos-seed", "7", "--chaos-journal", "journals")
    result.assert_outcomes(passed=1)
    journal = json.loads((pytester.path / "journals" / "calm.eda.json").read_text())
    assert journal["seed"] == 7
    assert journal["verdict"] == "survived"
    assert (pytester.path / "journals" / "calm.eda.ledger.jsonl").exists()


def test_report_files_and_the_github_step_summary(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = pytester.path / "step-summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    pytester.makefile(".chaos.yaml", a=CALM)
    result = pytester.runpytest(
        "--chaos-report", "markdown,svg", "--chaos-report", "html", "--chaos-reports-dir", "out"
    )
    result.assert_outcomes(passed=1)
    assert "chaos-arena ·" not in result.stdout.str()  # no terminal report asked for
    result.stdout.fnmatch_lines(["chaos-arena: wrote out/chaos-report.md"])
    markdown = (pytester.path / "out" / "chaos-report.md").read_text()
    assert "| `calm` | eda | ✅ survived |" in markdown
    assert summary.read_text() == "# earlier step\n" + markdown
    assert (pytester.path / "out" / "chaos-report.svg").read_text().startswith("<svg")
    assert "calm" in (pytester.path / "out" / "chaos-report.html").read_text()


def test_report_none_prints_nothing(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=CALM)
    result = pytester.runpytest("--chaos-report", "none")
    result.assert_outcomes(passed=1)
    assert "scoreboard" not in result.stdout.str()


def test_the_chaos_run_fixture_runs_experiments_from_a_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_orders='''
        from chaos.api import check, counts
        from chaos._checks.verdict import Verdict

        YAML = """
            experiment: from-a-test
            duration: 10s
            workload: {steady: {rate: 2/s, for: 5s}}
            assertions: [no_loss]
        """

        def test_yaml_text(chaos_run):
            outcome = chaos_run(YAML, "eda")
            check(outcome)
            assert outcome.verdict is Verdict.SURVIVED
            assert counts(outcome)["sent"] == 10

        def test_mapping_and_a_failed_check(chaos_run):
            outcome = chaos_run({
                "experiment": "mapped", "duration": 10, "assertions": ["no_loss"],
                "workload": {"steady": {"rate": 2, "for": 5}},
                "expect": {"eda": "fails"},
            }, "eda", seed=3)
            assert outcome.seed == 3
            chaos_run.check(outcome)
    '''
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnexpectedVerdict: eda (event-driven) survived, but mapped expects it to fail.",
            "*reproduce: pytest test_orders.py::test_mapping_and_a_failed_check --chaos-seed 3*",
            "from-a-test ───*",
            " test_orders.py:* · seed 1 · 10s simulated",
            "mapped ───*",
            " test_orders.py:* · seed 3 · 10s simulated",
        ]
    )
