"""`chaos-arena run`: the report after the runs, report files, and exit codes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos._cli import main

CALM = """\
experiment: calm
duration: 10s
systems: [eda]
workload: {steady: {rate: 2/s, for: 5s}}
faults: [{lambda.error: {probability: 50%, at: 2s, for: 2s}}]
assertions: [no_loss]
"""


@pytest.fixture
def calm(tmp_path: Path) -> Path:
    path = tmp_path / "calm.chaos.yaml"
    path.write_text(CALM)
    return path


def test_the_report_follows_the_runs_and_exit_0(
    calm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(calm), "--reports-dir", str(tmp_path / "reports")]) == 0
    out, err = capsys.readouterr()
    assert "chaos-arena · 1 experiment, 1 run · seed 1" in out
    assert "All 1 verdict as expected." in out
    assert "\x1b[" not in out  # not a terminal: plain text
    assert err == ""  # and no progress display
    assert not (tmp_path / "reports").exists()


def test_report_files_and_journals(
    calm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "run",
            str(calm),
            "--report",
            "markdown,html",
            "--reports-dir",
            str(tmp_path / "reports"),
            "--journal",
            str(tmp_path / "journals"),
        ]
    )
    assert code == 0
    out, _ = capsys.readouterr()
    assert "scoreboard" not in out
    assert f"chaos-arena: wrote {tmp_path / 'reports' / 'chaos-report.md'}" in out
    assert (tmp_path / "reports" / "chaos-report.html").exists()
    assert (tmp_path / "journals" / "calm.eda.json").exists()


def test_an_unexpected_verdict_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wrong.chaos.yaml"
    path.write_text(
        CALM.replace("assertions: [no_loss]", "assertions: [no_loss]\nexpect: {eda: fails}")
    )
    assert main(["run", str(path)]) == 1
    assert "1 of 1 verdicts not as expected" in capsys.readouterr().out


def test_fail_on_any_failure_counts_expected_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fails.chaos.yaml"
    path.write_text(
        CALM.replace("systems: [eda]", "systems: [sync]").replace(
            "assertions: [no_loss]", "assertions: [{success_rate: 100%}]\nexpect: {sync: fails}"
        )
    )
    assert main(["run", str(path), "--report", "none"]) == 0
    assert main(["run", str(path), "--report", "none", "--fail-on", "any-failure"]) == 1
    assert capsys.readouterr().out == ""


def test_an_invalid_experiment_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.chaos.yaml"
    path.write_text(CALM.replace("2/s", "2/x"))
    assert main(["run", str(path)]) == 2
    assert "is not a rate" in capsys.readouterr().err


def test_an_unknown_report_kind_exits_2(calm: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(calm), "--report", "pdf"]) == 2
    assert "--report: unknown report kind 'pdf'" in capsys.readouterr().err


def test_a_run_that_could_not_start_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import systems_under_test

    reference = Path(systems_under_test.__file__).parent / "eda" / "system.yaml"
    system = tmp_path / "broken-system.yaml"
    system.write_text(
        reference.read_text()
        .replace("systems_under_test.eda.consumer:handle", "no_such_package.consumer:handle")
        .replace("system: eda", "system: broken")
    )
    path = tmp_path / "broken.chaos.yaml"
    path.write_text(CALM.replace("systems: [eda]", "systems: [broken-system.yaml]"))
    assert main(["run", str(path)]) == 2
    out = " ".join(capsys.readouterr().out.split())  # the report wraps at 80 columns
    assert "calm[broken] error, expected survived" in out
    assert "'no_such_package'" in out


def test_a_bug_exits_3(
    calm: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import chaos._engine.runner

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(chaos._engine.runner, "run_one", crash)
    assert main(["run", str(calm)]) == 3
    assert "internal error" in capsys.readouterr().err


def test_parallel_runs_give_the_serial_journals_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--jobs 2` runs in worker processes; verdicts, journals and report are unchanged."""
    from tests.plugin.samples import THROTTLED, journals

    path = tmp_path / "throttled.chaos.yaml"
    path.write_text(THROTTLED)
    outputs = []
    for jobs in ("1", "2"):
        journal = tmp_path / f"journals-{jobs}"
        assert main(["run", str(path), "--jobs", jobs, "--journal", str(journal)]) == 0
        outputs.append(capsys.readouterr().out)
    assert journals(tmp_path / "journals-1") == journals(tmp_path / "journals-2")
    assert len(journals(tmp_path / "journals-1")) == 2
    assert outputs[0] == outputs[1]  # the report shows no wall-clock figure


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_output_files_honour_the_umask(
    calm: Path, tmp_path: Path, umask_022: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Journals, ledgers and reports are 0644 under the usual umask, as `open` would make
    them, so a CI artefact step running as another user can read them (a temporary file
    from `tempfile.mkstemp` is 0600)."""
    reports, journals = tmp_path / "reports", tmp_path / "journals"
    command = ["run", str(calm), "--report", "markdown,html,svg", "--reports-dir", str(reports)]
    assert main([*command, "--journal", str(journals)]) == 0
    written = [*reports.iterdir(), *journals.iterdir()]
    assert {p.suffix for p in written} >= {".md", ".html", ".svg", ".json", ".jsonl"}
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in written} == {
        p.name: "0o644" for p in written
    }


def test_atomic_writes_follow_a_stricter_umask(tmp_path: Path) -> None:
    from chaos._report.journal import write_atomically

    previous = os.umask(0o077)
    try:
        write_atomically(tmp_path / "private.json", "{}\n")
    finally:
        os.umask(previous)
    assert (tmp_path / "private.json").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["private.json"]  # no temporary left


def test_stories_caps_the_request_stories_of_a_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wrong.chaos.yaml"
    path.write_text(
        CALM.replace("assertions: [no_loss]", "assertions: [{success_rate: 100%}]").replace(
            "systems: [eda]", "systems: [sync]"
        )
    )
    assert main(["run", str(path), "--stories", "0"]) == 1
    out = capsys.readouterr().out
    assert "sync failed, but calm expects it to survive." in out
    assert "  request r0" not in out
    assert "more kind of request story (chaos-arena run --stories N shows more" in out
    assert main(["run", str(path), "--stories", "all"]) == 1
    out = capsys.readouterr().out
    assert "  request r0" in out and "more kind" not in out


@pytest.mark.parametrize("value", ["-1", "some"])
def test_a_bad_stories_value_exits_2(
    calm: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(calm), "--stories", value])
    assert exit_.value.code == 2
    assert "--stories" in capsys.readouterr().err
