"""`--chaos-seeds` and `seeds:` under pytest: one item per experiment and system, which runs
its seeds itself and passes on the share of seeds the experiment expects."""

from __future__ import annotations

import concurrent.futures.process  # noqa: F401
from pathlib import Path

import pytest

import chaos._decide.many  # noqa: F401
import tests.plugin.conftest  # noqa: F401  (registries loaded once, outside inner sessions)

# pytester forgets the modules an inner session imported; the process pool pickles its
# worker function by module, so it must stay the one module object across inner sessions.

pytest_plugins = ["pytester"]

FLAKY = (Path(__file__).parent / "flaky.chaos.yaml").read_text()


@pytest.mark.slow
def test_an_item_runs_its_seeds_and_fails_when_they_disagree(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=FLAKY)
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:xdist")
    result.assert_outcomes(failed=1)  # one item, six seeds
    result.stdout.fnmatch_lines(
        [
            "*worst of 6 seeds (1-6, flaky) is seed 6*",
            "*rerun:     pytest 'a.chaos.yaml::flaky?sync?' --chaos-seed 6  # 4/6 survived (67%, "
            "95% CI 30%-90%)",
            "*seeds: 6 runs*",
            "*flaky*sync*4/6 67%*30%-90%*NOT OK",
            "*FLAKY",
        ]
    )


@pytest.mark.slow
def test_command_line_seeds_replace_the_files_and_a_share_passes(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(
        ".chaos.yaml",
        a=FLAKY.replace("assertions:", "expect: {sync: {survives: 50%}}\nassertions:"),
    )
    passing = pytester.runpytest("-p", "no:randomly", "-p", "no:xdist", "--chaos-seeds", "1-4")
    passing.assert_outcomes(passed=1)  # 3 of 4 survive
    passing.stdout.fnmatch_lines(["*seeds --chaos-seeds=1-4*", "*3/4 75%*survives >= 50%*ok*"])
    failing = pytester.runpytest("-p", "no:randomly", "-p", "no:xdist", "--chaos-seeds", "3,6")
    failing.assert_outcomes(failed=1)  # none of 3 and 6 survives
    one = pytester.runpytest("-p", "no:randomly", "-p", "no:xdist", "--chaos-seed", "1")
    one.assert_outcomes(passed=1)
    assert "seeds:" not in one.stdout.str()  # --chaos-seed: one seed, the usual way


def test_bad_chaos_seeds_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=FLAKY)
    result = pytester.runpytest("--chaos-seeds", "9-2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*write it low to high (2-9)*"])
