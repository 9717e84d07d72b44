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
    assert text.count("expects it to") == 1
    assert "✗ no_loss: 1,234 of 45,678 accepted requests lost" in text
    assert "expects it to" not in render_text(summaries(), width=100)


def test_one_finding_per_run_with_its_assertions_under_it() -> None:
    lines = render_text(summaries(), width=100, findings=True).splitlines()
    start = lines.index(" eda (event-driven) failed, but db-throttle expects it to survive.")
    assert lines[start + 1 : start + 5] == [
        "   ✗ no_loss: 1,234 of 45,678 accepted requests lost",
        "       1,234  DynamoDB throttle after 4 SDK attempts during dynamodb.throttle on orders",
        "   ✓ dlq: no healthy request dead-lettered",
        "   faults in this experiment: dynamodb.throttle on orders",
    ]
    # Each sampled request once: r012346 and r012347 went as r012345 did.
    assert "   request r012345 (and 2 other sampled requests like it):" in lines
    assert not any("r012346" in line for line in lines)


@pytest.mark.parametrize(
    ("stories", "shown", "hidden"),
    [(None, 3, 0), (3, 3, 0), (1, 1, 2), (0, 0, 3)],
)
def test_request_stories_are_capped(stories: int | None, shown: int, hidden: int) -> None:
    text = render_text(summaries(), width=200, findings=True, stories=stories)
    assert text.count("   request r0") == shown
    more = f"... {hidden} more kind{'s' if hidden != 1 else ''} of request story"
    assert (more in text) == bool(hidden)
    if hidden:
        assert "chaos-arena run --stories N shows more" in text


def test_wrapped_finding_lines_keep_their_indent() -> None:
    """At 80 columns a long step wraps under the step's text, a long cause under the cause,
    a long command under the command: never back to the left edge."""
    lines = render_text(summaries(), width=80, findings=True).splitlines()
    step = lines.index(
        "       120.031s  dynamodb PutItem orders: ProvisionedThroughputExceededException"
    )
    assert lines[step + 1] == "                 (x4, the last at 120.431s)"
    cause = next(i for i, line in enumerate(lines) if line.startswith("       1,234  DynamoDB"))
    assert lines[cause + 1] == "              orders"
    command = next(i for i, line in enumerate(lines) if "reproduce: chaos-arena" in line)
    assert lines[command + 1].startswith("              --system eda")


def test_hanging_wraps_under_the_text_after_the_prefix() -> None:
    from chaos._report.terminal import hanging

    line = "    12.500s  " + "word " * 20
    wrapped = hanging(line.rstrip(), 40)
    assert all(len(part) <= 40 for part in wrapped)
    assert wrapped[0].startswith("     12.500s  word")
    assert all(part.startswith(" " * 14 + "word") for part in wrapped[1:])
    assert hanging("  short", 40) == ["   short"]


@pytest.mark.parametrize("width", [36, 40, 59])
def test_a_narrow_console_stacks_the_table_per_system(width: int) -> None:
    """Below 60 columns the counts table would be all ellipses: each system's figures are
    stacked under its name and verdict instead, every figure whole."""
    lines = render_text(summaries(), width=width).splitlines()
    assert not any(line.split()[:2] == ["system", "sent"] for line in lines)
    eda = lines.index(" eda failed ✗ expected survived")
    block = lines[eda : lines.index(" my-orders error ✗ expected survived")]
    assert not any("…" in line for line in block)
    for figure in ("sent 45.7k", "acc 45.7k", "done 43.4k", "lost 1,234", "pend 1,000"):
        assert figure in " ".join(block)
    assert max(cell_len(line) for line in lines) <= max(width, 40)


def test_a_narrow_console_stacks_the_scoreboard() -> None:
    lines = render_text(summaries(), width=40).splitlines()
    board = lines[next(i for i, line in enumerate(lines) if line.startswith("scoreboard")) :]
    assert board[1:3] == [
        " sync survived 0/2, as expected 2/2",
        "   score 95. sync survived 0 of 2.",
    ]
    assert " eda survived 1/2, as expected 1/2" in board
    # Words wrap whole: no sentence is folded into a column a few letters wide.
    assert all(len(line) <= 40 for line in board)
    assert not any(line.strip() in ("B", "s", "e", "rs") for line in board)


def test_sixty_columns_keep_the_table() -> None:
    lines = render_text(summaries(), width=60).splitlines()
    assert any(line.split()[:2] == ["system", "sent"] for line in lines)
