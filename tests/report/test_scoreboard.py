"""The scoreboard: survived x/n per system, and a sentence saying why."""

from __future__ import annotations

from dataclasses import replace

from chaos._report.scoreboard import expectation_line, sentence, standings
from tests.report.samples import summaries


def test_standings_per_system_in_order_of_appearance() -> None:
    table = [(s.system, s.survived, s.runs, s.as_expected) for s in standings(summaries())]
    assert table == [("sync", 0, 2, 2), ("eda", 1, 2, 1), ("my-orders", 0, 1, 0)]


def test_sentences_group_failed_experiments_by_their_main_cause() -> None:
    by_system = {s.system: s.sentence for s in standings(summaries())}
    assert by_system["eda"] == (
        "eda (event-driven) survived 1 of 2. Failed 1: DynamoDB throttle after 4 failed SDK "
        "attempts (db-throttle)."
    )
    assert by_system["sync"] == (
        "sync survived 0 of 2. Failed 2: DynamoDB throttle after 4 SDK attempts (db-throttle); "
        "Lambda throttle at its concurrency limit (lambda-throttle)."
    )
    assert by_system["my-orders"].startswith(
        "my-orders survived 0 of 1. Could not run 1: cannot import handler"
    )


def test_a_clean_sweep_reads_plainly() -> None:
    runs = [s for s in summaries() if s.system == "eda" and s.verdict == "survived"]
    assert sentence("eda", runs) == "eda survived its only experiment."
    twice = [runs[0], replace(runs[0], experiment="other")]
    assert sentence("eda", twice) == "eda survived all 2 experiments."


def test_long_lists_are_shortened() -> None:
    failed = next(s for s in summaries() if s.system == "sync")
    runs = [replace(failed, experiment=f"e{i}") for i in range(5)]
    runs += [
        replace(failed, experiment=f"x{i}", causes=((f"cause {i}", 1),), main_cause=f"cause {i}")
        for i in range(4)
    ]
    assert sentence("sync", runs) == (
        "sync survived 0 of 9. Failed 9: Lambda throttle at its concurrency limit "
        "(e0, e1, e2 and 2 more); cause 0 (x0); cause 1 (x1); 2 more for other reasons."
    )


def test_expectation_line() -> None:
    expected = [s for s in summaries() if s.as_expected]
    assert expectation_line(expected) == "All 3 verdicts as expected."
    assert expectation_line(summaries()).startswith(
        "2 of 5 verdicts not as expected: db-throttle[eda] failed, expected survived, "
    )
