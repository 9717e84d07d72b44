"""Report kinds and the files written for CI: Markdown, SVG, HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos._report.files import FILE_NAMES, write_reports
from chaos._report.kinds import parse_kinds
from tests.report.samples import summaries


def test_kinds_come_comma_separated_or_repeated() -> None:
    assert parse_kinds(["terminal,markdown", "svg"]) == {"terminal", "markdown", "svg"}
    assert parse_kinds([" HTML "]) == {"html"}
    assert parse_kinds(["none"]) == frozenset()


@pytest.mark.parametrize("values", [["pdf"], ["none,terminal"]])
def test_bad_kinds_are_refused(values: list[str]) -> None:
    with pytest.raises(ValueError, match="report kind"):
        parse_kinds(values)


def test_every_file_kind_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    written = write_reports(
        summaries(), {"terminal", "markdown", "svg", "html"}, tmp_path / "reports"
    )
    assert sorted(p.name for p in written) == sorted(FILE_NAMES.values())
    svg = (tmp_path / "reports" / FILE_NAMES["svg"]).read_text()
    assert svg.startswith("<svg") and "scoreboard" in svg
    html = (tmp_path / "reports" / FILE_NAMES["html"]).read_text()
    assert "<!DOCTYPE html>" in html and "db-throttle" in html


def test_terminal_only_writes_nothing(tmp_path: Path) -> None:
    assert write_reports(summaries(), {"terminal"}, tmp_path / "reports") == []
    assert not (tmp_path / "reports").exists()
