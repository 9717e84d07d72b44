"""What is named like an experiment file but cannot be read as one: each is a located,
correctly worded error (never a traceback), the same from `validate`, `run` and pytest; and
a directory with invalid files runs the valid rest, under the CLI as under pytest."""

from __future__ import annotations

import codecs
import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from chaos._cli import main
from chaos._spec import yamlsource
from chaos._spec.yamlsource import YamlProblem, read_text

pytest_plugins = ["pytester"]

CALM = """\
experiment: calm
duration: 10s
systems: [eda]
workload: {steady: {rate: 2/s, for: 5s}}
assertions: [no_loss]
"""


def _problem(path: Path) -> str:
    with pytest.raises(YamlProblem) as raised:
        read_text(path)
    return raised.value.diagnostic.render()


def _loop(directory: Path) -> Path:
    (directory / "a.chaos.yaml").symlink_to("b.chaos.yaml")
    (directory / "b.chaos.yaml").symlink_to("a.chaos.yaml")
    return directory / "a.chaos.yaml"


def _fifo(directory: Path) -> Path:
    path = directory / "fifo.chaos.yaml"
    os.mkfifo(path)
    return path


def _device(directory: Path) -> Path:
    path = directory / "zero.chaos.yaml"
    path.symlink_to("/dev/zero")
    return path


def _dangling(directory: Path) -> Path:
    path = directory / "dangling.chaos.yaml"
    path.symlink_to("nowhere.chaos.yaml")
    return path


def _directory(directory: Path) -> Path:
    path = directory / "folder.chaos.yaml"
    path.mkdir()
    return path


def _utf16(directory: Path) -> Path:
    path = directory / "utf16.chaos.yaml"
    path.write_bytes(codecs.BOM_UTF16_LE + CALM.encode("utf-16-le"))
    return path


def _utf16_without_mark(directory: Path) -> Path:
    path = directory / "utf16be.chaos.yaml"
    path.write_bytes(CALM.encode("utf-16-be"))
    return path


def _latin1(directory: Path) -> Path:
    path = directory / "latin1.chaos.yaml"
    path.write_bytes(CALM.replace("calm", "café").encode("latin-1"))
    return path


CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "symlink loop": (
        _loop,
        "a.chaos.yaml: cannot read the file: it is a symbolic link to b.chaos.yaml, and "
        "following the links leads back to it (a symlink loop)",
    ),
    "fifo": (_fifo, "fifo.chaos.yaml: cannot read the file: it is a named pipe (FIFO)"),
    "device": (
        _device,
        "zero.chaos.yaml: cannot read the file: it is a symbolic link to /dev/zero, which is "
        "a character device, not a regular file",
    ),
    "dangling link": (
        _dangling,
        "dangling.chaos.yaml: cannot read the file: it is a symbolic link to "
        "nowhere.chaos.yaml, which does not exist",
    ),
    "directory": (
        _directory,
        "folder.chaos.yaml: cannot read the file: it is a directory, not a regular file",
    ),
    "utf-16": (
        _utf16,
        "utf16.chaos.yaml: the file is encoded as UTF-16; chaos-arena reads UTF-8 only\n"
        "    hint: save it as UTF-8",
    ),
    "utf-16 without a byte-order mark": (
        _utf16_without_mark,
        "utf16be.chaos.yaml: the file is encoded as UTF-16 (BE, without a byte-order mark)",
    ),
    "latin-1": (
        _latin1,
        # Line 1, column 17: the é of "café", after "experiment: caf".
        "latin1.chaos.yaml:1:16: the file is not UTF-8 text: byte 0xe9 cannot start or "
        "continue a UTF-8 character (the file is probably in a legacy encoding such as "
        "Latin-1 or Windows-1252)",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_each_kind_of_unreadable_file_is_named(case: str, tmp_path: Path) -> None:
    make, expected = CASES[case]
    path = make(tmp_path)
    assert expected in _problem(path).replace(str(tmp_path) + os.sep, "")


def test_a_fifo_is_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a FIFO for reading waits for a writer: chaos-arena must look, not open."""
    path = _fifo(tmp_path)
    opened: list[object] = []
    real_open = os.open
    monkeypatch.setattr(
        yamlsource.os, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k)
    )
    _problem(path)
    assert opened == []


def test_an_unreadable_file_says_permission_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chmod 000 as a user; root reads such a file anyway, so the refusal is simulated."""
    path = tmp_path / "locked.chaos.yaml"
    path.write_text(CALM)
    path.chmod(0)

    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(yamlsource.os, "open", refuse)
    rendered = _problem(path)
    assert f"{path}: cannot read the file: permission denied (its mode is ----------)" in rendered
    assert f"hint: make it readable: chmod u+r {path}" in rendered


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file of mode 000")
def test_an_unreadable_file_for_real(tmp_path: Path) -> None:
    path = tmp_path / "locked.chaos.yaml"
    path.write_text(CALM)
    path.chmod(0)
    assert "permission denied" in _problem(path)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.chaos.yaml"
    path.write_bytes(codecs.BOM_UTF8 + CALM.encode())
    assert read_text(path) == CALM


def _every_kind(directory: Path) -> None:
    for make, _ in CASES.values():
        make(directory)
    (directory / "calm.chaos.yaml").write_text(CALM)


def test_validate_names_every_bad_file_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _every_kind(tmp_path)
    assert main(["validate", str(tmp_path)]) == 2
    out = capsys.readouterr().out.replace(str(tmp_path) + os.sep, "")
    for _, expected in CASES.values():
        assert expected in out
    # The loop's other link, b.chaos.yaml, is named too.
    assert "b.chaos.yaml: cannot read the file: it is a symbolic link to a.chaos.yaml" in out
    assert "chaos-arena: 9 problems in 9 of 10 files" in out


def test_run_runs_the_valid_rest_then_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _every_kind(tmp_path)
    journals = tmp_path.parent / f"{tmp_path.name}-journals"
    assert main(["run", str(tmp_path), "--journal", str(journals), "-j", "1"]) == 2
    out, err = capsys.readouterr()
    assert "All 1 verdict as expected." in out
    assert (journals / "calm.eda.json").exists()
    err = err.replace(str(tmp_path) + os.sep, "")
    for _, expected in CASES.values():
        assert expected in err
    assert "9 problems in 9 invalid files; running the other 1 run" in err
    assert err.rstrip().splitlines()[-1].startswith("chaos-arena: 9 invalid files did not run")


def test_run_with_nothing_valid_exits_2_with_the_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fifo(tmp_path)
    assert main(["run", str(tmp_path)]) == 2
    assert "fifo.chaos.yaml: cannot read the file: it is a named pipe" in capsys.readouterr().err


def test_run_skips_only_the_experiment_whose_name_clashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.chaos.yaml").write_text(CALM)
    (tmp_path / "b.chaos.yaml").write_text(CALM + "---\n" + CALM.replace("calm", "other"))
    assert main(["run", str(tmp_path), "--report", "none", "-j", "1"]) == 2
    err = capsys.readouterr().err
    assert "experiment name 'calm' is also used in" in err
    assert "running the other 2 runs" in err


def test_pytest_reports_each_bad_file_as_an_error_item(pytester: pytest.Pytester) -> None:
    _every_kind(pytester.path)
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=9)
    for name in ("a", "b", "fifo", "zero", "dangling", "folder", "utf16", "utf16be", "latin1"):
        result.stdout.fnmatch_lines([f"ERROR {name}.chaos.yaml::validate - *"])
    result.stdout.fnmatch_lines(["*it is a named pipe (FIFO), not a regular file*"])


def test_pytest_searches_a_directory_named_on_its_command_line(
    pytester: pytest.Pytester,
) -> None:
    """Named on the command line, a directory is searched, whatever its name (as
    `chaos-arena run` does); found in a search, one named like an experiment is reported."""
    folder = _directory(pytester.path)
    (folder / "calm.chaos.yaml").write_text(CALM)
    named = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", str(folder))
    named.assert_outcomes(passed=1)
    searched = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider")
    searched.assert_outcomes(passed=1, errors=1)


def test_list_marks_bad_files_invalid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _every_kind(tmp_path)
    assert main(["list", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "fifo.chaos.yaml: invalid, 1 problem" in out
    assert "calm.chaos.yaml:1  calm  [eda]" in out
