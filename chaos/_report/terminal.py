"""The survivor report for terminals and logs, drawn with rich.

Per experiment: a table with one row per system, one line of reason per system, and the
timeline (`chaos._report.timeline`). At the end, the scoreboard: which architecture
survived. Only `RunSummary`s come in, so the same code renders a CLI run, a pytest session
and a pytest-xdist controller.

Width, colour and encoding follow the `Console`: NO_COLOR and non-terminal output give
plain text; a console that cannot encode Unicode gets ASCII glyphs.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from itertools import groupby

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from chaos._report import charts, costs
from chaos._report.charts import Glyphs, glyphs_for
from chaos._report.data import RunSummary
from chaos._report.failure import DEFAULT_STORIES, failure_lines
from chaos._report.kinds import SHOWN_COUNTS
from chaos._report.scoreboard import expectation_line, standings
from chaos._report.timeline import timeline_grid

VERDICT_STYLES = {
    "survived": "bold green",
    "failed": "bold red",
    "inconclusive": "bold yellow",
    "error": "bold magenta",
}
COLUMNS = tuple(
    zip(
        ("sent", "acc", "done", "lost", "DLQ", "dup", "rex", "exp", "pend"),
        SHOWN_COUNTS,
        strict=True,
    )
)
"""(header, count key) for the count columns: the same counts, in the same order, as the
Markdown table and the JUnit properties."""
LEGEND = (
    "acc accepted by the API",
    "done completed (effect in the table)",
    "DLQ dead-lettered",
    "dup duplicated effects",
    "rex re-executed",
    "exp expired in SQS",
    "pend still queued at the end",
    "ok client success rate",
    "p99 completion latency",
    "thr DynamoDB throttles",
    "cost what the run cost",
    "/mo a month at the steady rate",
)
VERDICT_COLUMN_MIN_WIDTH = 116
"""Below this the verdict moves from the table into the reason line, so nothing wraps."""
STACKED_BELOW_WIDTH = 60
"""Below this the counts table does not fit (it would be all ellipses): each system's
figures are stacked under its name instead."""
MONEY_COLUMNS_MIN_WIDTH = 90
"""Below this the cost columns are left out (the scoreboard still compares costs)."""
INDENT = (0, 0, 0, 1)


def print_report(
    console: Console,
    summaries: Sequence[RunSummary],
    *,
    findings: bool = False,
    stories: int | None = DEFAULT_STORIES,
) -> None:
    """The whole report: every experiment, then the scoreboard.

    Args:
        console: where to draw; its width, colour and encoding are respected.
        summaries: the runs, in any order (sorted by file, line and system here).
        findings: also print the findings of runs whose verdict was not as expected (the
            CLI does; under pytest the failure section already shows them).
        stories: request stories per finding (None: all of them).
    """
    glyphs = glyphs_for(console.encoding)
    ordered = sorted(summaries, key=lambda s: s.sort_key)
    experiments = [list(runs) for _, runs in groupby(ordered, key=lambda s: (s.path, s.line))]
    console.print(Rule(_title(experiments, ordered, glyphs), style="bold", characters="═"))
    console.print(Text(f" {glyphs.dot} ".join(LEGEND), style="dim"), overflow="fold")
    for runs in experiments:
        console.print()
        for renderable in experiment_section(
            console, runs, glyphs, findings=findings, stories=stories
        ):
            console.print(renderable)
    console.print()
    console.print(scoreboard(ordered, width=console.width))


def _title(experiments: list[list[RunSummary]], runs: list[RunSummary], glyphs: Glyphs) -> str:
    seeds = sorted({r.seed for r in runs})
    parts = [
        "chaos-arena",
        f"{_count(len(experiments), 'experiment')}, {_count(len(runs), 'run')}",
        f"seed {seeds[0]}" if len(seeds) == 1 else f"{len(seeds)} seeds",
    ]
    return f" {glyphs.dot} ".join(parts)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def experiment_section(
    console: Console,
    runs: Sequence[RunSummary],
    glyphs: Glyphs,
    *,
    findings: bool = False,
    stories: int | None = DEFAULT_STORIES,
) -> Iterator[RenderableType]:
    first = runs[0]
    # The name alone in the rule: rich truncates a long title, and paths can be long.
    yield Rule(Text(first.experiment, style="bold"), align="left", style="dim")
    where = f" {glyphs.dot} ".join(
        [
            f"{first.path}:{first.line}",
            f"seed {first.seed}",
            f"{charts.clock(first.duration)} simulated",
        ]
    )
    yield _indented(Text(where, style="dim"))
    if first.description:
        yield _indented(Text(first.description, style="dim italic"))
    if console.width < STACKED_BELOW_WIDTH:
        yield _indented(stacked_counts(runs, glyphs, console.width - 1))
    else:
        wide = console.width >= VERDICT_COLUMN_MIN_WIDTH
        money = console.width >= MONEY_COLUMNS_MIN_WIDTH
        yield _indented(counts_table(runs, glyphs, verdict_column=wide, money_columns=money))
        yield _indented(reasons(runs, glyphs, verdict_shown=wide))
    timeline = timeline_grid(runs, console.width - 1, glyphs)
    if timeline is not None:
        yield Text()
        yield _indented(timeline)
    if findings:
        for run in runs:
            # A run with nothing judged (its handlers could not be imported) has only its
            # reason, already on its line above.
            if not run.as_expected and (run.assertions or run.notes):
                yield Text()
                yield finding_block(run, glyphs, console.width, stories=stories)


def finding_block(
    run: RunSummary, glyphs: Glyphs, width: int, *, stories: int | None = DEFAULT_STORIES
) -> Text:
    """A run's finding in `width` columns; what wraps stays under its own line's indent (a
    story's step under the step's text, past its time), so the finding's shape survives a
    narrow terminal."""
    more = "chaos-arena run --stories N shows more; journals (--journal DIR) keep them all"
    lines = failure_lines(run, stories=stories, more=more, where=False)
    wrapped = [part for line in lines for part in hanging(_in_glyphs(line, glyphs), width)]
    return Text("\n".join(wrapped), style="red")


def hanging(line: str, width: int) -> list[str]:
    """`line` (indented by one, as the report is) wrapped to `width` columns, the wrapped
    parts under the text that follows its indent and its mark, count or time."""
    prefix = _HANGING.match(line)
    head = " " + (prefix.group(0) if prefix else "")
    body = line[len(head) - 1 :]
    if len(head) + len(body) <= width:
        return [f" {line}"]
    if width - len(head) < MIN_WRAPPED_WIDTH:
        # No room under the prefix: hang under the indent, the prefix wrapped with the rest.
        indent = len(head) - len(head.lstrip(" "))
        head, body = " " * indent, line.lstrip(" ")
    room = width - len(head)
    if room < MIN_WRAPPED_WIDTH:
        return [f" {line}"]
    parts = textwrap.wrap(body, room, break_on_hyphens=False) or [""]
    return [head + parts[0], *(" " * len(head) + part for part in parts[1:])]


MIN_WRAPPED_WIDTH = 20
"""Narrower than this, a line is left to the terminal to fold."""


def _in_glyphs(line: str, glyphs: Glyphs) -> str:
    if glyphs == charts.ASCII:
        return line.translate(_ASCII_MARKS)
    return line


_ASCII_MARKS = str.maketrans({"✓": "+", "✗": "x", "·": "-"})
_HANGING = re.compile(
    r"^ *(?:! |[✓✗?+x-] |\d[\d,]* {2}|\d+\.\d{3}s {2}|reproduce: |rerun: +|faults in [^:]+: )?"
)
"""The part of a finding's line that wrapped text hangs under: its indent, then an
assertion's mark, a cause's count, a step's time or a label."""


def _indented(renderable: RenderableType) -> Padding:
    # expand=False: padding to the full width would leave trailing blanks in logs.
    return Padding(renderable, INDENT, expand=False)


def counts_table(
    runs: Sequence[RunSummary],
    glyphs: Glyphs,
    *,
    verdict_column: bool,
    money_columns: bool = True,
) -> Table:
    table = Table(box=None, padding=(0, 1, 0, 0), show_edge=False, header_style="bold")
    table.add_column("system", no_wrap=True)
    for header, _ in COLUMNS:
        table.add_column(header, justify="right", no_wrap=True)
    for header in ("ok", "p99", "thr", *(("cost", "/mo") if money_columns else ())):
        table.add_column(header, justify="right", no_wrap=True)
    if verdict_column:
        table.add_column("verdict", no_wrap=True)
    for run in runs:
        cells = [Text(run.system, style="bold")]
        cells.extend(_count_cell(run, key) for _, key in COLUMNS)
        cells.append(Text(_percent(run.success_rate)))
        cells.append(Text(charts.seconds_text(run.p99)))
        cells.append(Text(charts.compact(run.db_throttles) if run.counts else "-"))
        if money_columns:
            cells.append(Text(costs.dollars(run.cost)))
            cells.append(Text(costs.dollars(run.cost_monthly)))
        if verdict_column:
            cells.append(verdict_text(run, glyphs))
        table.add_row(*cells)
    return table


def _count_cell(run: RunSummary, key: str) -> Text:
    if not run.counts:
        return Text("-", style="dim")
    value = run.counts.get(key, 0)
    bad = key in ("lost", "duplicated", "expired") and value > 0
    return Text(charts.compact(value), style="bold red" if bad else ("dim" if not value else ""))


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def verdict_text(run: RunSummary, glyphs: Glyphs) -> Text:
    text = Text(run.verdict, style=VERDICT_STYLES.get(run.verdict, "bold"))
    if not run.as_expected:
        text.append(f" {glyphs.cross} expected {run.expected}", style="bold red reverse")
    return text


def reasons(runs: Sequence[RunSummary], glyphs: Glyphs, *, verdict_shown: bool) -> Table:
    """One line per system: why (the verdict too, when the table has no room for it)."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for run in runs:
        line = Text()
        if not verdict_shown:
            line.append_text(verdict_text(run, glyphs))
            line.append(": ")
        line.append(run.reason)
        if run.stop:
            line.append(f" ({run.stop})", style="yellow")
        grid.add_row(Text(run.system, style="bold"), line)
    return grid


def stacked_counts(runs: Sequence[RunSummary], glyphs: Glyphs, width: int) -> Group:
    """Per system: its name and verdict, its reason, then its figures as `label value`
    cells, as many to a line as fit."""
    blocks: list[RenderableType] = []
    for run in runs:
        head = Text()
        head.append(run.system, style="bold")
        head.append(" ")
        head.append_text(verdict_text(run, glyphs))
        cells = [Text(f"{header} ") + _count_cell(run, key) for header, key in COLUMNS]
        cells.append(Text(f"ok {_percent(run.success_rate)}"))
        cells.append(Text(f"p99 {charts.seconds_text(run.p99)}"))
        cells.append(Text(f"thr {charts.compact(run.db_throttles) if run.counts else '-'}"))
        cell = max(c.cell_len for c in cells) + 2
        per_line = max(1, (width - 2) // cell)
        grid = Table.grid(padding=(0, 2, 0, 0))
        for _ in range(per_line):
            grid.add_column(no_wrap=True)
        for start in range(0, len(cells), per_line):
            row = cells[start : start + per_line]
            grid.add_row(*row, *[""] * (per_line - len(row)))
        blocks += [head, Padding(Text(run.reason), (0, 0, 0, 2), expand=False)]
        if run.counts:
            blocks.append(Padding(grid, (0, 0, 0, 2), expand=False))
    return Group(*blocks)


def scoreboard(summaries: Sequence[RunSummary], *, width: int = 80) -> RenderableType:
    """Per system: survived x/n, as expected x/n, and what that means in a sentence; below
    `STACKED_BELOW_WIDTH` columns each system's sentence goes under its figures."""
    stacked = width < STACKED_BELOW_WIDTH
    table = Table(box=None, padding=(0, 1, 0, 0), show_edge=False, header_style="bold")
    table.add_column("system", no_wrap=True)
    table.add_column("survived", justify="right", no_wrap=True)
    table.add_column("as expected", justify="right", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("what it means", ratio=1, overflow="fold")
    blocks: list[RenderableType] = []
    for standing in standings(summaries):
        style = (
            "green"
            if standing.survived == standing.runs
            else ("red" if standing.survived == 0 else "yellow")
        )
        survived = Text(f"{standing.survived}/{standing.runs}", style=f"bold {style}")
        expected = f"{standing.as_expected}/{standing.runs}"
        score = costs.score_text(standing.score.score)
        if not stacked:
            system = Text(standing.system, style="bold")
            table.add_row(system, survived, expected, score, standing.sentence)
            continue
        head = Text.assemble(
            (standing.system, "bold"),
            " survived ",
            survived,
            f", as expected {expected}",
        )
        sentence = Text(f"score {score}. {standing.sentence}")
        blocks += [head, Padding(sentence, (0, 0, 0, 2), expand=False)]
    all_expected = all(s.as_expected for s in summaries)
    verdict = Text(expectation_line(summaries), style="bold green" if all_expected else "bold red")
    money = [Text(line) for line in costs.comparisons(summaries)]
    return Group(
        Rule(Text("scoreboard", style="bold"), align="left", style="dim"),
        _indented(Group(*blocks) if stacked else table),
        *(Padding(line, (1, 0, 0, 1), expand=False) for line in money[:1]),
        *(_indented(line) for line in money[1:]),
        Padding(verdict, (1, 0, 0, 1), expand=False),
    )


def render_text(
    summaries: Sequence[RunSummary],
    *,
    width: int,
    color: bool = False,
    findings: bool = False,
    stories: int | None = DEFAULT_STORIES,
) -> str:
    """The report as a string: ANSI-coloured when `color`, else plain text without the
    padding rich adds at line ends (CI logs and snapshots stay clean)."""
    return captured(
        lambda console: print_report(console, summaries, findings=findings, stories=stories),
        width=width,
        color=color,
    )


def captured(draw: Callable[[Console], None], *, width: int, color: bool = False) -> str:
    """What `draw` prints, as a string: ANSI-coloured when `color`, else plain text without
    the padding rich adds at line ends."""
    console = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    draw(console)
    output = str(console.file.getvalue())  # type: ignore[attr-defined]
    return output if color else "\n".join(line.rstrip() for line in output.split("\n"))
