"""How many-seed results look: a rich table for terminals and the SVG/HTML report, and a
Markdown table for CI summaries. Pure functions of `SeedSummary`s."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from chaos._decide.seeds import SeedSummary
from chaos._report.terminal import VERDICT_STYLES


def seeds_section(summaries: Sequence[SeedSummary]) -> RenderableType:
    """Per experiment and system: survival rate and interval, verdicts, flakiness, the
    expectation and whether it held; under it, each worst seed and how to rerun it."""
    ordered = sorted(summaries, key=lambda s: s.sort_key)
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for header in ("experiment", "system", "survived", "95% CI", "verdicts", "expected", ""):
        table.add_column(header, overflow="fold")
    for summary in ordered:
        low, high = summary.interval
        table.add_row(
            summary.experiment,
            summary.system,
            Text(
                f"{summary.survived}/{summary.runs} {summary.survival_rate * 100:.0f}%",
                style=VERDICT_STYLES["survived" if summary.survived == summary.runs else "failed"],
            ),
            f"{low * 100:.0f}%-{high * 100:.0f}%",
            _verdicts(summary),
            summary.expectation_text(),
            Text("ok", style="green") if summary.as_expected else Text("NOT OK", style="bold red"),
        )
    worst = [
        Text.assemble(
            ("  worst ", "dim"),
            (f"{s.experiment}[{s.system}] ", "bold"),
            (f"seed {s.worst_seed} ", ""),
            (s.worst_verdict, VERDICT_STYLES.get(s.worst_verdict, "")),
            (f": {s.worst_reason}\n    reproduce: {s.reproduce}", ""),
        )
        for s in ordered
        if s.runs > 1 and (s.worst_verdict != "survived" or s.flaky)
    ]
    title = f"seeds: {sum(s.runs for s in ordered):,} runs"
    return Group(Rule(title, style="bold", characters="═"), table, *worst)


def _verdicts(summary: SeedSummary) -> Text:
    text = Text()
    for index, (verdict, count) in enumerate(summary.verdicts):
        if index:
            text.append(", ")
        text.append(f"{count} {verdict}", style=VERDICT_STYLES.get(verdict, ""))
    if summary.flaky:
        text.append(" FLAKY", style="bold yellow")
    return text


def seeds_markdown(summaries: Sequence[SeedSummary]) -> str:
    """The same table in Markdown, for `chaos-report.md` and the CI step summary."""
    lines = [
        "### Seeds",
        "",
        "| experiment | system | survived | 95% CI | verdicts | expected | |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in sorted(summaries, key=lambda s: s.sort_key):
        low, high = s.interval
        flag = " (flaky)" if s.flaky else ""
        lines.append(
            f"| {s.experiment} | {s.system} | {s.survived}/{s.runs} "
            f"({s.survival_rate * 100:.0f}%) | {low * 100:.0f}%-{high * 100:.0f}% | "
            f"{s.verdicts_text()}{flag} | {s.expectation_text()} | "
            f"{'as expected' if s.as_expected else '**not as expected**'} |"
        )
    worst = [s for s in summaries if s.runs > 1 and (s.worst_verdict != "survived" or s.flaky)]
    if worst:
        lines.append("")
    lines.extend(
        f"- worst seed of {s.experiment}[{s.system}]: {s.worst_seed} ({s.worst_verdict}): "
        f"`{s.reproduce}`"
        for s in worst
    )
    return "\n".join(lines) + "\n"
