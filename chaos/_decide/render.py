"""How many-run results look: rich tables and charts for terminals and the SVG/HTML report,
Markdown for CI summaries. Pure functions of `SeedSummary`s and sweep results."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from chaos._decide.seeds import SeedSummary
from chaos._decide.sweep import Boundary, GridResult, SweepResult
from chaos._report.charts import ASCII_BLOCKS, BLOCKS
from chaos._report.terminal import VERDICT_STYLES, captured
from chaos._spec.seeds import seeds_text


def text_of(renderable: RenderableType, *, width: int, color: bool = False) -> str:
    """`renderable` as text: ANSI-coloured when `color`, else plain without trailing blanks."""
    return captured(lambda console: console.print(renderable), width=width, color=color)


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
    # Padded, not spaced: a line that wraps keeps its indent.
    worst = [
        Group(
            Padding(
                Text.assemble(
                    ("worst ", "dim"),
                    (f"{s.experiment}[{s.system}] ", "bold"),
                    (f"seed {s.worst_seed} ", ""),
                    (s.worst_verdict, VERDICT_STYLES.get(s.worst_verdict, "")),
                    f": {s.worst_reason}",
                ),
                (0, 0, 0, 2),
                expand=False,
            ),
            Padding(Text(f"reproduce: {s.reproduce}"), (0, 0, 0, 4), expand=False),
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


# ---------------------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------------------

CHART_WIDTH = 60


def boundary_sentence(result: SweepResult, boundary: Boundary) -> str:
    """`sync survives workload.bursts[0].rate up to 430/s (fails at 440/s)`."""
    vary = result.vary
    label = vary.label
    if boundary.kind == "up_to" and boundary.survived is not None and boundary.failed is not None:
        return (
            f"{boundary.system} survives {label} up to {vary.shown(boundary.survived)} "
            f"(fails at {vary.shown(boundary.failed)})"
        )
    if boundary.kind == "from" and boundary.survived is not None and boundary.failed is not None:
        return (
            f"{boundary.system} survives {label} from {vary.shown(boundary.survived)} up "
            f"(fails at {vary.shown(boundary.failed)})"
        )
    span = f"{vary.shown(vary.low)}..{vary.shown(vary.high)}"
    if boundary.kind == "everywhere":
        return f"{boundary.system} survives {label} over the whole range {span}"
    if boundary.kind == "nowhere":
        return f"{boundary.system} fails at every value of {label} in {span}"
    shown = ", ".join(
        f"{'survives' if share == 1.0 else 'fails'} at {vary.shown(value)}"
        for value, share in boundary.points
    )
    return f"{boundary.system}: not monotone in {label} ({shown}): no single breaking point"


def sweep_section(result: SweepResult, *, ascii_only: bool = False) -> RenderableType:
    """The breaking points table, one sentence per system, and the chart."""
    vary = result.vary
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for header in ("system", "survives", "fails at", "points run", "monotone"):
        table.add_column(header)
    for boundary in result.boundaries:
        if boundary.kind == "up_to" and boundary.survived is not None:
            survives = f"up to {vary.shown(boundary.survived)}"
        elif boundary.kind == "from" and boundary.survived is not None:
            survives = f"from {vary.shown(boundary.survived)}"
        else:
            survives = {"everywhere": "whole range", "nowhere": "nowhere"}.get(boundary.kind, "-")
        table.add_row(
            boundary.system,
            Text(survives, style="green" if boundary.kind != "nowhere" else "red"),
            "-" if boundary.failed is None else vary.shown(boundary.failed),
            str(len(boundary.points)),
            Text("yes", style="green") if boundary.monotone else Text("NO", style="bold red"),
        )
    title = f"sweep {result.experiment} · {vary.label}"
    about = Text(
        f"{vary.shown(vary.low)}..{vary.shown(vary.high)}, resolution "
        f"{vary.shown(result.resolution)}, seeds {seeds_text(result.seeds)}, {result.runs} runs",
        style="dim",
    )
    sentences = [Text("  " + boundary_sentence(result, b)) for b in result.boundaries]
    note = Text("  a value counts as survived when every seed run at it survived", style="dim")
    return Group(
        Rule(title, style="bold", characters="═"),
        about,
        table,
        Text(""),
        *sentences,
        note,
        Text(""),
        survival_chart(result, ascii_only=ascii_only),
    )


def survival_chart(
    result: SweepResult, *, width: int = CHART_WIDTH, ascii_only: bool = False
) -> RenderableType:
    """Survival against the parameter: per system, a column per slice of the range; a block
    where a value was run, as high as the share of seeds that survived there (green: all,
    red: none), and `|` at the breaking point."""
    blocks = ASCII_BLOCKS if ascii_only else BLOCKS
    vary = result.vary
    span = vary.high - vary.low
    label_width = max(len(b.system) for b in result.boundaries) + 2

    def column(value: float) -> int:
        return min(width - 1, max(0, round((value - vary.low) / span * (width - 1))))

    lines = [Text("survival against " + vary.label, style="bold")]
    for boundary in result.boundaries:
        cells: list[tuple[str, str]] = [(" ", "")] * width
        for value, share in boundary.points:
            level = max(1, round(share * (len(blocks) - 1)))
            style = "green" if share == 1.0 else ("red" if share == 0 else "yellow")
            cells[column(value)] = (blocks[level], style)
        if boundary.survived is not None and boundary.failed is not None:
            edge = column((boundary.survived + boundary.failed) / 2)
            if cells[edge][0] == " ":
                cells[edge] = ("|", "bold")
        text = Text(boundary.system.ljust(label_width))
        for glyph, style in cells:
            text.append(glyph, style=style)
        lines.append(text)
    low, high = vary.shown(vary.low), vary.shown(vary.high)
    axis = " " * label_width + low + " " * max(1, width - len(low) - len(high)) + high
    lines.append(Text(axis, style="dim"))
    return Group(*lines)


def sweep_markdown(result: SweepResult) -> str:
    vary = result.vary
    lines = [
        f"## chaos-arena sweep: {result.experiment}, {vary.label} "
        f"{vary.shown(vary.low)}..{vary.shown(vary.high)}",
        "",
        f"Resolution {vary.shown(result.resolution)}, seeds {seeds_text(result.seeds)}, "
        f"{result.runs} runs; a value counts as survived when every seed survived.",
        "",
    ]
    lines.extend(f"- {boundary_sentence(result, b)}" for b in result.boundaries)
    return "\n".join(lines) + "\n"


def grid_section(result: GridResult) -> RenderableType:
    """Per system a table of verdicts: rows the combinations of all keys but the last,
    columns the last key's values; `ok` all seeds survived, `x` none, `k/n` some."""
    *row_keys, column_key = result.varies
    column_values = sorted({values[-1] for values, _ in result.cells})
    n = len(result.seeds)
    parts: list[RenderableType] = [
        Rule(
            f"grid {result.experiment} · "
            + " by ".join(v.label for v in result.varies)
            + f" · seeds {seeds_text(result.seeds)} · {result.runs} runs",
            style="bold",
            characters="═",
        )
    ]
    for index, system in enumerate(result.systems):
        table = Table(title=system, box=None, pad_edge=False, header_style="bold")
        table.add_column(", ".join(v.label for v in row_keys) or "")
        for value in column_values:
            table.add_column(f"{column_key.label}={column_key.shown(value)}", justify="center")
        rows: dict[tuple[float, ...], dict[float, float]] = {}
        for values, shares in result.cells:
            rows.setdefault(values[:-1], {})[values[-1]] = shares[index]
        for head, by_column in rows.items():
            label = ", ".join(v.shown(x) for v, x in zip(row_keys, head, strict=True))
            table.add_row(label, *(_cell(by_column.get(c), n) for c in column_values))
        parts += [Text(""), table]
    return Group(*parts)


def _cell(share: float | None, seeds: int) -> Text:
    if share is None:
        return Text("")
    if share == 1.0:
        return Text("survives", style="green")
    if share == 0.0:
        return Text("fails", style="red")
    return Text(f"{round(share * seeds)}/{seeds}", style="yellow")


def grid_markdown(result: GridResult) -> str:
    lines = [f"## chaos-arena grid: {result.experiment}", ""]
    header = [v.label for v in result.varies] + list(result.systems)
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for values, shares in result.cells:
        shown = [v.shown(x) for v, x in zip(result.varies, values, strict=True)]
        lines.append("| " + " | ".join(shown + [f"{s * 100:.0f}% survived" for s in shares]) + " |")
    return "\n".join(lines) + "\n"
