"""The report kinds both front ends accept (`--report`, `--chaos-report`).

Kept apart from the renderers so pytest can validate its options without importing rich.
"""

from __future__ import annotations

from collections.abc import Iterable

REPORT_KINDS = ("terminal", "markdown", "svg", "html", "none")


def parse_kinds(values: Iterable[str]) -> frozenset[str]:
    """`terminal,markdown` or repeated values -> kinds; `none` alone means no report.

    Raises:
        ValueError: an unknown kind, or `none` together with another kind.
    """
    kinds: set[str] = set()
    for value in values:
        for part in value.split(","):
            kind = part.strip().lower()
            if not kind:
                continue
            if kind not in REPORT_KINDS:
                raise ValueError(
                    f"unknown report kind {kind!r}; choose from "
                    f"{', '.join(REPORT_KINDS)} (comma-separated)"
                )
            kinds.add(kind)
    if "none" in kinds and len(kinds) > 1:
        raise ValueError("report kind 'none' cannot be combined with others")
    return frozenset(kinds - {"none"})


SHOWN_COUNTS = (
    "sent",
    "accepted",
    "completed",
    "lost",
    "dead_lettered",
    "duplicated",
    "reexecuted",
    "expired",
    "pending",
)
"""The counts reports show for a run, in their order."""
