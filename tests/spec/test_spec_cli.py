"""`chaos-arena validate`, `list` and `new`, run in-process through `main`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chaos._cli import main

VALID = Path(__file__).parent / "valid"

THREE_MISTAKES = """\
experiment: three-mistakes
duration: 10m
systems: [sync, eda]
workload:
  steady: {rate: 20/s, for: 5m}
  bursts:
    - {rate: 200/s, at: 2m, four: 20s}
faults:
  - lambda.eror: {probability: 5%, at: 1m, for: 2m}
  - dynamodb.throttle: {probability: 50%, at: 14m, for: 2m}
"""
LOCATION = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+):(?P<column>\d+): (?P<message>.*)$")


def _diagnostics(output: str) -> list[re.Match[str]]:
    return [m for line in output.splitlines() if (m := LOCATION.match(line))]


def test_validate_prints_three_mistakes_with_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "three.chaos.yaml"
    path.write_text(THREE_MISTAKES)
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr().out
    found = _diagnostics(out)
    assert [(m["path"], int(m["line"])) for m in found] == [
        (str(path), 7),
        (str(path), 9),
        (str(path), 10),
    ]
    assert found[0]["message"] == "unknown key 'four'"
    assert "did you mean 'for'?" in out
    assert found[1]["message"] == "unknown fault type 'lambda.eror'"
    assert "did you mean 'lambda.error'?" in out
    assert (
        found[2]["message"] == "fault 'dynamodb.throttle' starts at 14m, after the experiment "
        "ends (10m)"
    )
    assert out.rstrip().endswith("chaos-arena: 3 problems in 1 of 1 file")


def test_validate_reports_every_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.chaos.yaml").write_text(THREE_MISTAKES)
    (tmp_path / "b.chaos.yaml").write_text(
        "experiment: b\nduration: 5\nworkload: {steady: {rate: 1/s}}\n"
    )
    (tmp_path / "c.chaos.yaml").write_text((VALID / "queue-faults.chaos.yaml").read_text())
    assert main(["validate", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert [Path(m["path"]).name for m in _diagnostics(out)] == ["a.chaos.yaml"] * 3 + [
        "b.chaos.yaml"
    ]
    assert "4 problems in 2 of 3 files" in out


def test_validate_says_when_all_is_well(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(VALID)]) == 0
    assert capsys.readouterr().out == "5 experiments in 3 files are valid\n"


def test_validate_without_experiment_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert "no experiment files" in capsys.readouterr().err


def test_validate_a_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.chaos.yaml"
    assert main(["validate", str(missing)]) == 2
    assert f"{missing}: cannot read the file: no such file" in capsys.readouterr().out


def _system_with_handler(tmp_path: Path, handler: str) -> tuple[Path, Path]:
    """A sync system `mine.yaml` whose function is `handler`, and an experiment running it."""
    system = tmp_path / "mine.yaml"
    system.write_text(
        "system: mine\narchitecture: sync\napi: {function: api}\n"
        f"functions:\n  api: {{handler: {handler}}}\n"
        "tables: {orders: {}}\neffects: {table: orders}\n"
    )
    experiment = tmp_path / "mine.chaos.yaml"
    experiment.write_text(
        "experiment: mine\nduration: 1m\nsystems: [mine.yaml]\nworkload: {steady: {rate: 1/s}}\n"
    )
    return system, experiment


def test_validate_imports_handlers_unless_told_not_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    system, experiment = _system_with_handler(tmp_path, "not_installed_anywhere:handle")
    assert main(["validate", str(experiment)]) == 2
    out = capsys.readouterr().out
    assert (
        f"{system}:5:18: cannot import handler 'not_installed_anywhere:handle': "
        "ModuleNotFoundError" in out
    )
    assert main(["validate", "--no-import", str(experiment)]) == 0


def test_list_shows_everything(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", str(VALID)]) == 0
    out = capsys.readouterr().out
    sections = [line for line in out.splitlines() if not line.startswith(" ")]
    assert sections == ["Experiments", "Systems", "Fault types", "Assertions"]
    assert re.search(r"full-format\.chaos\.yaml:2  full-format  \[sync, eda\]  Every key", out)
    for name in (
        "sync",
        "eda",
        "lambda.timeout",
        "lambda.cold_start",
        "dynamodb.latency",
        "sqs.send_error",
        "sqs.delay",
        "no_loss",
        "eventual_completion",
    ):
        assert re.search(rf"^  {re.escape(name)} +\S", out, re.MULTILINE), name


def test_list_names_a_system_given_by_path_and_shows_the_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    payments = Path(__file__).parents[2] / "examples" / "payments"
    assert main(["list", str(payments)]) == 0
    assert "payments-retries  [payments (./system.yaml), sync]" in capsys.readouterr().out


def test_list_points_at_invalid_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.chaos.yaml").write_text(THREE_MISTAKES)
    assert main(["list", str(tmp_path)]) == 0
    assert "bad.chaos.yaml: invalid, 3 problems" in capsys.readouterr().out


def test_list_defaults_to_the_experiments_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["list"]) == 0
    assert "(none under experiments)" in capsys.readouterr().out


def test_new_writes_a_valid_commented_experiment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "my-first"]) == 0
    path = tmp_path / "my-first.chaos.yaml"
    assert capsys.readouterr().out == "created my-first.chaos.yaml\n"
    text = path.read_text()
    assert "experiment: my-first" in text
    assert text.count("#") > 20
    assert main(["validate", str(path)]) == 0


def test_new_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "taken.chaos.yaml"
    path.write_text("mine\n")
    assert main(["new", "taken", "--dir", str(tmp_path)]) == 2
    assert "already exists; not overwriting it" in capsys.readouterr().err
    assert path.read_text() == "mine\n"


def test_new_into_a_folder_with_the_schema_line(tmp_path: Path) -> None:
    assert (
        main(
            [
                "new",
                "wired",
                "--dir",
                str(tmp_path / "exp"),
                "--schema",
                "../chaos-experiment.schema.json",
            ]
        )
        == 0
    )
    first = (tmp_path / "exp" / "wired.chaos.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../chaos-experiment.schema.json"


@pytest.mark.parametrize("name", ["My Test", "_under", "x" * 81, "a/b"])
def test_new_refuses_names_that_cannot_name_an_experiment(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", name, "--dir", str(tmp_path)]) == 2
    assert "cannot name an experiment" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_a_closed_pipe_ends_quietly() -> None:
    """`chaos-arena schema | head -1`: no BrokenPipeError traceback, exit 0."""
    import subprocess
    import sys

    done = subprocess.run(
        f"{sys.executable} -m chaos schema | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in done.stderr
    assert done.stdout == '{\n  "$sche'


def test_two_files_may_not_share_an_experiment_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Journals are `<experiment>.<system>.json`: a second file reusing a name would overwrite
    the first one's journal, so validate and run both reject it, against the later file;
    run runs the first file's, whose journals are the only ones written."""
    text = "experiment: calm\nduration: 1m\nworkload: {steady: {rate: 1/s}}\n"
    (tmp_path / "a.chaos.yaml").write_text(text)
    (tmp_path / "b.chaos.yaml").write_text("# the same name again\n" + text)
    assert main(["validate", str(tmp_path)]) == 2
    (found,) = _diagnostics(capsys.readouterr().out)
    assert (Path(found["path"]).name, int(found["line"])) == ("b.chaos.yaml", 2)
    assert found["message"] == (
        f"experiment name 'calm' is also used in {tmp_path / 'a.chaos.yaml'}:1"
    )
    journals = tmp_path.parent / f"{tmp_path.name}-journals"
    assert main(["run", str(tmp_path), "--journal", str(journals), "--report", "none"]) == 2
    assert "experiment name 'calm' is also used in" in capsys.readouterr().err
    written = sorted(p.name for p in journals.glob("*.json"))
    assert written == ["calm.eda.json", "calm.sync.json"]
    source = json.loads((journals / "calm.eda.json").read_text())["source"]
    assert source == f"{tmp_path / 'a.chaos.yaml'}:1"


def test_a_handler_that_exits_at_import_is_reported_not_obeyed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sys.exit()` in a handler module's init is that module's error, not the CLI's exit."""
    (tmp_path / "leaves.py").write_text("import sys\nsys.exit('bye')\n")
    _, experiment = _system_with_handler(tmp_path, "leaves:handle")
    assert main(["validate", str(experiment)]) == 2
    assert "cannot import handler 'leaves:handle': SystemExit: bye" in capsys.readouterr().out


def test_a_file_named_twice_is_validated_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Named directly and through its folder, a file is still one file (not a name clash)."""
    path = tmp_path / "calm.chaos.yaml"
    path.write_text("experiment: calm\nduration: 1m\nworkload: {steady: {rate: 1/s}}\n")
    assert main(["validate", str(tmp_path), str(path.resolve())]) == 0
    assert "1 experiment in 1 file is valid" in capsys.readouterr().out


@pytest.mark.parametrize("option", ["--journal", "--reports-dir"])
def test_an_output_directory_that_is_a_file_is_refused_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    path = tmp_path / "calm.chaos.yaml"
    path.write_text("experiment: calm\nduration: 1m\nworkload: {steady: {rate: 1/s}}\n")
    in_the_way = tmp_path / "taken"
    in_the_way.write_text("")
    argv = ["run", str(path), option, str(in_the_way), "--report", "markdown"]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert f"{option} {in_the_way}: a file is in the way; name a directory" in err
    assert out == "", "refused before running: no report, no 'wrote' line"
