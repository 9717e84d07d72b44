"""Many seeds: the seed sets, the Wilson interval, what seeds add up to, and `run --seeds`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from chaos._cli import main
from chaos._decide.seeds import aggregate, representative, worst
from chaos._decide.stats import wilson_interval
from chaos._errors import SpecError
from chaos._loading import loader
from chaos._report.data import RunSummary
from chaos._spec.experiment import Expectation, Expected
from chaos._spec.seeds import SeedsError, parse_seeds, seeds_text

HERE = Path(__file__).parent
FLAKY = HERE / "flaky.chaos.yaml"
FLAKY_FAILING_SEEDS = (3, 6)


@pytest.mark.parametrize(
    ("text", "seeds"),
    [
        ("1-5", (1, 2, 3, 4, 5)),
        ("1-5,9", (1, 2, 3, 4, 5, 9)),
        (" 7 ", (7,)),
        ("3,1,3", (3, 1)),
        (4, (4,)),
        ([1, "3-4", 9], (1, 3, 4, 9)),
    ],
)
def test_seed_sets_read_as_written(text: object, seeds: tuple[int, ...]) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("5-1", "write it low to high (1-5)"),
        ("1-x", "is not a seed or a range"),
        ("", "is not a seed or a range"),
        ("1-1000000000", "more than 100,000 seeds"),
        (True, "true or false"),
        ([], "no seeds given"),
    ],
)
def test_bad_seed_sets_say_why(text: object, says: str) -> None:
    with pytest.raises(SeedsError) as error:
        parse_seeds(text)
    assert says in str(error.value)


def test_seed_sets_print_shortest() -> None:
    assert seeds_text((1, 2, 3, 4, 5, 9, 11, 12)) == "1-5,9,11-12"
    assert seeds_text((7,)) == "7"


def test_wilson_interval_matches_published_values() -> None:
    """Wilson score interval at 95 %: 5 of 10 gives 0.2366-0.7634, 0 of 10 gives 0-0.2775
    (Brown, Cai and DasGupta 2001, Statistical Science 16(2), table of Wilson intervals;
    also https://en.wikipedia.org/wiki/Binomial_proportion_confidence_interval)."""
    low, high = wilson_interval(5, 10)
    assert math.isclose(low, 0.2366, abs_tol=1e-4)
    assert math.isclose(high, 0.7634, abs_tol=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0
    assert math.isclose(wilson_interval(0, 10)[1], 0.2775, abs_tol=1e-4)
    assert wilson_interval(10, 10)[1] == 1.0
    assert math.isclose(wilson_interval(10, 10)[0], 1 - 0.2775, abs_tol=1e-4)


def _run(seed: int, verdict: str, *, rate: float = 1.0) -> RunSummary:
    return RunSummary(
        experiment="e",
        path="e.chaos.yaml",
        line=1,
        system="eda",
        system_index=0,
        architecture="event_driven",
        seed=seed,
        verdict=verdict,
        expected="survived",
        as_expected=verdict == "survived",
        reason=f"seed {seed} {verdict}",
        duration=60.0,
        success_rate=rate,
        reproduce=f"chaos-arena run e.chaos.yaml --seed {seed}",
    )


def test_share_expectation_compares_the_observed_share() -> None:
    runs = [_run(s, "survived") for s in range(1, 20)] + [_run(20, "failed", rate=0.5)]
    met = aggregate(runs, Expected(Expectation.SURVIVES, 0.95, explicit_share=True))
    assert (met.survived, met.runs, met.as_expected, met.flaky) == (19, 20, True, True)
    assert met.observed_share == 0.95
    missed = aggregate(runs, Expected(Expectation.SURVIVES, 0.96, explicit_share=True))
    assert not missed.as_expected
    every = aggregate(runs, Expected(Expectation.SURVIVES))
    assert not every.as_expected
    assert (every.worst_seed, every.reproduce) == (20, "chaos-arena run e.chaos.yaml --seed 20")


def test_the_worst_seed_is_the_furthest_from_surviving() -> None:
    runs = [_run(1, "failed", rate=0.9), _run(2, "failed", rate=0.4), _run(3, "survived")]
    assert worst(runs).seed == 2
    summary = aggregate(runs, Expected(Expectation.FAILS, 0.5, explicit_share=True))
    shown = representative(runs, summary)
    assert shown.seed == 2
    assert shown.as_expected  # judged over the seeds: 2 of 3 failed, 50 % were asked for
    assert shown.reason.startswith("worst of 3 seeds (1-3, flaky) is seed 2: ")


def test_seeds_and_share_expectations_load_from_yaml() -> None:
    text = FLAKY.read_text().replace("assertions:", "expect: {sync: {survives: 50%}}\nassertions:")
    (loaded,) = loader().text(text)
    assert loaded.experiment.seeds == (1, 2, 3, 4, 5, 6)
    assert loaded.experiment.expectation("sync") == Expected(
        Expectation.SURVIVES, 0.5, explicit_share=True
    )


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("expect: {sync: {survives: 95%, fails: 5%}}", "names one verdict and its share, not 2"),
        ("expect: {sync: {survive: 95%}}", "'survive' is not a verdict"),
        ("expect: {sync: {survives: 120%}}", "outside 0% to 100%"),
        ("expect: {sync: survive}", "'survive' is not one of: survives, fails, inconclusive"),
        ("seeds: 9-2", "write it low to high (2-9)"),
    ],
)
def test_bad_seeds_and_shares_are_located(line: str, says: str) -> None:
    text = FLAKY.read_text().replace("seeds: 1-6", line)
    with pytest.raises(SpecError) as error:
        loader().text(text, "flaky.chaos.yaml")
    (problem,) = error.value.diagnostics
    assert says in problem.message
    assert problem.line == 6  # the line replaced
    assert problem.path == "flaky.chaos.yaml"


def test_run_with_seeds_flags_a_flaky_experiment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "journal"
    code = main(["run", str(FLAKY), "-j", "1", "--journal", str(journal)])
    out, _ = capsys.readouterr()
    assert code == 1  # plain `survives` asks it of every seed
    assert "seeds: 6 runs" in out
    assert "4/6 67%" in out
    assert "30%-90%" in out  # Wilson, 4 of 6
    assert "FLAKY" in out
    assert f"--system sync --seed {FLAKY_FAILING_SEEDS[-1]}" in out  # the worst seed's command
    aggregate_journal = json.loads((journal / "flaky.sync.seeds.json").read_text())
    verdicts = {run["seed"]: run["verdict"] for run in aggregate_journal["runs"]}
    assert [s for s, v in verdicts.items() if v == "failed"] == list(FLAKY_FAILING_SEEDS)
    assert aggregate_journal["flaky"] is True
    assert aggregate_journal["interval_95"] == list(wilson_interval(4, 6))
    assert all(run["ledger_digest"] for run in aggregate_journal["runs"])
    for seed in range(1, 7):
        assert (journal / f"seed-{seed}" / "flaky.sync.json").exists()


def test_a_seed_in_many_gives_what_it_gives_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    many, alone = tmp_path / "many", tmp_path / "alone"
    assert main(["run", str(FLAKY), "--seeds", "2-3", "-j", "1", "--journal", str(many)]) == 1
    assert main(["run", str(FLAKY), "--seed", "3", "--journal", str(alone)]) == 1
    out = capsys.readouterr().out
    assert out.count("seeds: 2 runs") == 1  # --seed runs one seed, the usual way
    one = json.loads((alone / "flaky.sync.json").read_text())
    same = json.loads((many / "seed-3" / "flaky.sync.json").read_text())
    assert (one["ledger_digest"], one["verdict"]) == (same["ledger_digest"], same["verdict"])


def test_command_line_seeds_replace_the_files_and_a_share_can_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "share.chaos.yaml"
    path.write_text(
        FLAKY.read_text().replace("assertions:", "expect: {sync: {survives: 60%}}\nassertions:")
    )
    assert main(["run", str(path), "-j", "1"]) == 0  # 4 of 6 = 67 % >= 60 %
    assert main(["run", str(path), "-j", "1", "--seeds", "3-4"]) == 1  # 1 of 2 = 50 %
    out = capsys.readouterr().out
    assert "survives >= 60%" in out
    assert "1/2 50%" in out


def test_bad_seeds_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(FLAKY), "--seeds", "9-2"])
    assert exit_.value.code == 2
    assert "write it low to high (2-9)" in capsys.readouterr().err
