"""The text of a verdict that was not as expected, read like a bug report.

Used for pytest failures (the item's failure section and its one-line summary) and by
`chaos.api.check`. It names the system, the verdict against the expectation, the findings
(what was lost, by which cause, sample request stories), the seed and how to reproduce.
"""

from __future__ import annotations

from chaos._report.data import RunSummary

_EXPECTING = {
    "survived": "survive",
    "failed": "fail",
    "inconclusive": "be inconclusive",
    "error": "raise an error",
}
_MARKS = {"passed": "✓", "failed": "✗", "inconclusive": "?", "skipped": "-"}


def headline(summary: RunSummary) -> str:
    """One line for pytest's short summary and JUnit's failure message."""
    return f"{summary.system} {summary.verdict}, expected {summary.expected}: {summary.reason}"


def failure_lines(summary: RunSummary, *, rerun: str = "") -> list[str]:
    """The whole story: verdict against expectation, assertions, findings, reproduction."""
    expecting = _EXPECTING.get(summary.expected, summary.expected)
    lines = [
        f"{summary.label} {summary.verdict}, but {summary.experiment} expects it to {expecting}.",
        f"  {summary.reason}",
        *([f"  {summary.stop}"] if summary.stop else []),
        "",
    ]
    if summary.assertions:
        lines.append("assertions:")
        lines.extend(
            f"  {_MARKS.get(status, status)} {name}: {detail}"
            for name, status, detail in summary.assertions
        )
        lines.append("")
    for finding in summary.findings:
        lines.extend(finding.splitlines())
        lines.append("")
    if not any("reproduce:" in finding for finding in summary.findings):
        lines.append(f"reproduce: {summary.reproduce}")
    if rerun:
        lines.append(f"rerun:     {rerun}")
    lines.append(f"seed {summary.seed} · {summary.path}:{summary.line}")
    return lines
