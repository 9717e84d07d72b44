"""pytest-xdist: the same verdicts and journals as a serial run, one report on the controller."""

from __future__ import annotations

import pytest

from tests.plugin.samples import CALM, THROTTLED, UNEXPECTED, journals

pytest_plugins = ["pytester"]


def test_two_workers_match_a_serial_run(pytester: pytest.Pytester) -> None:
    pytester.makefile(".chaos.yaml", a=THROTTLED, b=UNEXPECTED, c=CALM)
    serial = pytester.runpytest("--chaos-journal", "serial", "-p", "no:randomly")
    parallel = pytester.runpytest("-n", "2", "--chaos-journal", "parallel", "-p", "no:randomly")

    expected = {"passed": 4, "failed": 1}
    serial.assert_outcomes(**expected)
    parallel.assert_outcomes(**expected)
    assert journals(pytester.path / "parallel") == journals(pytester.path / "serial")
    assert len(journals(pytester.path / "serial")) == 5
    ledgers = sorted(pytester.path.joinpath("serial").glob("*.ledger.jsonl"))
    assert len(ledgers) == 5
    for ledger in ledgers:
        twin = pytester.path / "parallel" / ledger.name
        assert twin.read_bytes() == ledger.read_bytes(), ledger.name

    # The finding crossed the process boundary intact (a real ExceptionChainRepr).
    parallel.stdout.fnmatch_lines(
        [
            "sync failed, but optimistic expects it to survive.",
            "b.chaos.yaml:1: sync failed, expected survived: *",
            "FAILED b.chaos.yaml::optimistic?sync? - sync failed, expected survived: *",
        ]
    )
    # One run-wide report, built on the controller from what the workers sent.
    report = [line for line in parallel.outlines if "chaos-arena · " in line]
    assert report == [line for line in serial.outlines if "chaos-arena · " in line]
    assert len(report) == 1
    assert "3 experiments, 5 runs" in report[0]
    assert _scoreboard(parallel) == _scoreboard(serial)


def _scoreboard(result: pytest.RunResult) -> list[str]:
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if line.startswith("scoreboard"))
    end = next(i for i, line in enumerate(lines) if "short test summary" in line)
    return lines[start:end]
