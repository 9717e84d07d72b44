"""The terminal report: snapshots at 80 and 120 columns, widths, colour and encodings.

Snapshots live in `snapshots/`; after an intended change, regenerate them with
`CHAOS_UPDATE_SNAPSHOTS=1 pytest tests/report` and review the diff.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from chaos._report.terminal import print_report, render_text
from tests.report.samples import summaries

SNAPSHOTS = Path(__file__).parent / "snapshots"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
ANSI_COLOR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[25];[0-9;]+)m")


@pytest.mark.parametrize("width", [80, 120])
def test_report_matches_its_snapshot(width: int) -> None:
    text = render_text(summaries(), width=width, findings=True)
    snapshot = SNAPSHOTS / f"report-{width}.txt"
    if os.environ.get("CHAOS_UPDATE_SNAPSHOTS"):
        snapshot.write_text(text, encoding="utf-8")
        pytest.skip(f"snapshot {snapshot.name} rewritten; review the diff")
    assert text == snapshot.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [60, 80, 100, 120, 160, 200])
def test_no_line_is_wider_than_the_console(width: int) -> None:
    text = render_text(summaries(), width=width, findings=True)
    assert max(cell_len(line) for line in text.splitlines()) <= width


@pytest.mark.parametrize("width", [80, 120])
def test_tables_keep_every_column(width: int) -> None:
    """Nothing is squeezed into an ellipsis or folded inside the counts table."""
    lines = render_text(summaries(), width=width).splitlines()
    header = next(line for line in lines if line.startswith(" system") and "sent" in line)
    assert header.split()[:13] == [
        "system",
        "sent",
        "acc",
        "done",
        "lost",
        "DLQ",
        "dup",
        "rex",
        "exp",
        "pend",
        "ok",
        "p99",
        "thr",
    ]
    number = re.compile(r"^[0-9][0-9,.]*k?$")
    rows = [
        line
        for line in lines
        if line.split()[:1] in (["sync"], ["eda"])
        and all(number.match(cell) for cell in line.split()[1:10])
    ]
    assert len(rows) == 4
    assert not any("…" in row for row in rows)
    # The verdict column appears only where it fits on the row.
    assert ("verdict" in header) == (width >= 104)


def test_not_a_terminal_gives_plain_text() -> None:
    console = Console(file=io.StringIO(), width=100, force_terminal=False)
    print_report(console, summaries())
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert not ANSI.search(output)
    assert "scoreboard" in output


def test_a_terminal_gets_colour() -> None:
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system="standard")
    print_report(console, summaries())
    assert ANSI_COLOR.search(console.file.getvalue())  # type: ignore[attr-defined]


def test_no_color_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system="standard")
    print_report(console, summaries())
    assert not ANSI_COLOR.search(console.file.getvalue())  # type: ignore[attr-defined]


def test_a_console_without_unicode_gets_ascii() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="strict")
    console = Console(file=stream, width=100, force_terminal=False)
    print_report(console, summaries())  # would raise UnicodeEncodeError on any block or rule
    stream.flush()
    text = raw.getvalue().decode("ascii")
    assert "chaos-arena - 2 experiments, 5 runs - 2 seeds" in text
    assert "failed x expected survived" in text
    assert "=====" in text


def test_findings_are_printed_only_for_unexpected_verdicts() -> None:
    text = render_text(summaries(), width=100, findings=True)
    assert text.count("by cause:") == 1
    assert "1,234 of 45,678 accepted requests lost" in text
    assert "by cause:" not in render_text(summaries(), width=100)
