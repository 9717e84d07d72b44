"""The Markdown summary and GitHub's job summary."""

from __future__ import annotations

from pathlib import Path

from chaos._report.markdown import append_step_summary, markdown
from tests.report.samples import summaries


def test_markdown_has_the_table_the_scoreboard_and_unexpected_findings() -> None:
    text = markdown(summaries())
    lines = text.splitlines()
    assert lines[0] == "## chaos-arena: 2 experiments, 5 runs"
    assert "**2 of 5 verdicts not as expected:" in lines[2]
    header = next(line for line in lines if line.startswith("| experiment |"))
    separator = lines[lines.index(header) + 1]
    assert separator.count("---") == header.count(" | ") + 1
    assert (
        "| `db-throttle` | eda | ❌ failed (expected survived) | 45,678 | 45,678 | 43,444 "
        "| 1,234 |" in text
    )
    assert "| `lambda-throttle` | eda | ✅ survived |" in text
    assert "- **sync**: survived 0/2, as expected 2/2, resilience score" in text
    assert "<summary>db-throttle[eda]: failed, expected survived</summary>" in text
    assert text.count("reproduce: chaos-arena run experiments/db.chaos.yaml") == 1
    # The error run has no assertions: its reason stands in.
    assert "  cannot import handler 'myapp.consumer:handle' of system 'my-orders'" in text
    # One finding per run: the assertions under it, each failed one with its causes.
    assert (
        "  ✗ no_loss: 1,234 of 45,678 accepted requests lost\n"
        "      1,234  DynamoDB throttle after 4 SDK attempts during dynamodb.throttle on orders\n"
        "  ✓ dlq: no healthy request dead-lettered\n" in text
    )


def test_table_cells_escape_pipes_and_angle_brackets() -> None:
    from dataclasses import replace

    odd = replace(summaries()[0], reason="a | b <c>")
    assert "a \\| b &lt;c&gt;" in markdown([odd])


def test_step_summary_is_appended_only_on_github(tmp_path: Path) -> None:
    assert append_step_summary("# x\n", environ={}) is None
    target = tmp_path / "summary.md"
    target.write_text("before\n")
    assert append_step_summary("# x", environ={"GITHUB_STEP_SUMMARY": str(target)}) == target
    assert target.read_text() == "before\n# x\n"
