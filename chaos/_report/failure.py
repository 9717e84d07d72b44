"""The finding of a run whose verdict was not as expected, read like a bug report.

One finding per run: the verdict against the expectation, then every assertion with its
mark, a failed one with its causes under it; the faults; the sampled request stories, each
kind once (the same steps, other times and ids), the first few only (the journal keeps
them all); the seed and how to reproduce. The CLI's report, pytest's failure section and
`chaos.api.check` all print these lines.
"""

from __future__ import annotations

from chaos._report.data import RunSummary, Story

DEFAULT_STORIES = 3
"""Request stories a finding shows unless told otherwise (`--stories`, `--chaos-stories`)."""

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


def failure_lines(
    summary: RunSummary,
    *,
    rerun: str = "",
    stories: int | None = DEFAULT_STORIES,
    more: str = "the journal keeps them all",
    where: bool = True,
) -> list[str]:
    """The whole finding, one list of lines.

    Args:
        summary: the run.
        rerun: a second command that reruns it (pytest's node id), under `reproduce`.
        stories: how many kinds of request story to show; None for all of them.
        more: what to say after the count of stories left out (where to find them).
        where: end with the seed and the experiment's file and line (a report that shows
            them above the finding leaves them out).
    """
    expecting = _EXPECTING.get(summary.expected, summary.expected)
    lines = [
        f"{summary.label} {summary.verdict}, but {summary.experiment} expects it to {expecting}."
    ]
    if _reason_says_more(summary):
        lines.append(f"  {summary.reason}")
    if summary.stop:
        lines.append(f"  {summary.stop}")
    for note in summary.notes:
        lines.append(f"  ! {note.title}")
        lines.extend(f"      {line}" for line in note.details)
    lines.extend(_assertion_lines(summary))
    if summary.active_faults:
        lines.append(f"  faults in this experiment: {', '.join(summary.active_faults)}")
    shown = summary.stories if stories is None else summary.stories[: max(stories, 0)]
    for story in shown:
        lines.append(f"  {_story_title(story)}:")
        lines.extend(f"    {line}" for line in story.lines)
    hidden = len(summary.stories) - len(shown)
    if hidden:
        kinds = "kind" if hidden == 1 else "kinds"
        lines.append(f"  ... {hidden} more {kinds} of request story ({more})")
    if summary.reproduce:
        lines.append(f"  reproduce: {summary.reproduce}")
    if rerun:
        lines.append(f"  rerun:     {rerun}")
    if where:
        lines.append(f"  seed {summary.seed} · {summary.path}:{summary.line}")
    return lines


def _reason_says_more(summary: RunSummary) -> bool:
    """Whether the reason says what the lines below it do not (it is usually the failed
    assertions' details and the handler's failures, joined)."""
    rest = summary.reason
    shown = [detail for _, status, detail in summary.assertions if status == "failed"]
    for part in sorted([*shown, *(note.title for note in summary.notes)], key=len, reverse=True):
        rest = rest.replace(part, "")
    return bool(rest.strip("; "))


def _assertion_lines(summary: RunSummary) -> list[str]:
    """Each assertion with its mark; under a failed one, what its finding adds."""
    explained = {e.index: e for e in summary.explained}
    lines = []
    for index, (name, status, detail) in enumerate(summary.assertions):
        lines.append(f"  {_MARKS.get(status, status)} {name}: {detail}")
        found = explained.get(index)
        if found is None:
            continue
        if found.title != detail:
            lines.append(f"      {found.title}")
        lines.extend(f"      {line}" for line in found.details)
        lines.extend(f"    {count:>7,}  {cause}" for cause, count in found.causes)
    return lines


def _story_title(story: Story) -> str:
    if not story.alike:
        return f"request {story.request_id}"
    others = len(story.alike)
    sampled = "request" if others == 1 else "requests"
    return f"request {story.request_id} (and {others} other sampled {sampled} like it)"
