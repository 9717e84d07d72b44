"""The Markdown summary: for `reports/`, pull-request comments and GitHub's job summary.

GitHub renders `$GITHUB_STEP_SUMMARY` on the run's page; every step appends to it, so this
module appends too and never truncates.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from chaos._report import charts
from chaos._report.costs import comparisons, dollars, score_sentence, score_text
from chaos._report.data import RunSummary
from chaos._report.failure import failure_lines
from chaos._report.kinds import SHOWN_COUNTS
from chaos._report.scoreboard import expectation_line, standings

STEP_SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"
_ICONS = {"survived": "✅", "failed": "❌", "inconclusive": "⚠️", "error": "💥"}
_HEAD = (
    "| experiment | system | verdict | sent | accepted | completed | lost | dead-lettered "
    "| duplicated | re-executed | expired | pending | client success | p99 | DB throttles "
    "| cost | per month | score | reason |"
)


def markdown(summaries: Sequence[RunSummary]) -> str:
    """The whole summary: verdict table, scoreboard, and findings of unexpected verdicts."""
    ordered = sorted(summaries, key=lambda s: s.sort_key)
    experiments = len({(s.path, s.line) for s in ordered})
    seeds = sorted({s.seed for s in ordered})
    lines = [
        f"## chaos-arena: {experiments} experiment{'s' if experiments != 1 else ''}, "
        f"{len(ordered)} run{'s' if len(ordered) != 1 else ''}",
        "",
        f"**{expectation_line(ordered)}** Seed{'s' if len(seeds) != 1 else ''}: "
        f"{', '.join(map(str, seeds))}.",
        "",
        _HEAD,
        "|" + "---|" * _HEAD.count(" |"),
    ]
    lines.extend(_row(s) for s in ordered)
    lines += ["", "### Scoreboard", ""]
    lines.extend(
        f"- **{s.system}**: survived {s.survived}/{s.runs}, as expected "
        f"{s.as_expected}/{s.runs}, {score_sentence([r for r in ordered if r.system == s.system])}."
        f" {_escape(s.sentence)}"
        for s in standings(ordered)
    )
    money = comparisons(ordered)
    if money:
        lines += ["", *(f"- {_escape(line)}" for line in money)]
    lines += ["", _prices_note(ordered)]
    unexpected = [s for s in ordered if not s.as_expected]
    if unexpected:
        lines += ["", "### Not as expected", ""]
        for summary in unexpected:
            lines.extend(_details(summary))
    return "\n".join(lines) + "\n"


def _prices_note(summaries: Sequence[RunSummary]) -> str:
    tables = sorted({s.prices for s in summaries if s.prices})
    where = "; ".join(tables) if tables else "none"
    return (
        f"Costs at AWS list prices ({where}; Lambda INIT billed; no free tier); per month: "
        "730 hours at the experiment's steady rate, for steady workloads only. Score: the "
        "resilience score, 0-100 (see the README)."
    )


def _row(summary: RunSummary) -> str:
    verdict = f"{_ICONS.get(summary.verdict, '')} {summary.verdict}"
    if not summary.as_expected:
        verdict += f" (expected {summary.expected})"
    counts = [f"{summary.counts[k]:,}" if summary.counts else "-" for k in SHOWN_COUNTS]
    rate = "-" if summary.success_rate is None else f"{summary.success_rate:.2%}"
    cells = [
        f"`{summary.experiment}`",
        summary.system,
        verdict,
        *counts,
        rate,
        charts.seconds_text(summary.p99),
        f"{summary.db_throttles:,}",
        dollars(summary.cost),
        dollars(summary.cost_monthly),
        score_text(summary.score),
        _escape(f"{summary.reason} ({summary.stop})" if summary.stop else summary.reason),
    ]
    return "| " + " | ".join(cells) + " |"


def _details(summary: RunSummary) -> list[str]:
    title = (
        f"{summary.experiment}[{summary.system}]: {summary.verdict}, expected {summary.expected}"
    )
    body = "\n".join(failure_lines(summary))
    return [
        "<details>",
        f"<summary>{_escape(title)}</summary>",
        "",
        "```text",
        *body.splitlines(),
        "```",
        "",
        "</details>",
        "",
    ]


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def append_step_summary(text: str, *, environ: Mapping[str, str] | None = None) -> Path | None:
    """Append to the GitHub Actions job summary when running there; the file it wrote."""
    target = (os.environ if environ is None else environ).get(STEP_SUMMARY_VARIABLE)
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as out:
        out.write(text if text.endswith("\n") else text + "\n")
    return path
