"""The `search:` space of an experiment: what `chaos-arena search` may vary to make the
experiment's assertions fail.

    search:
      faults:                  # candidates: a search includes each one or not
        - lambda.throttle: {concurrency: 0, at: 30s..3m, for: 10s..10m}
        - lambda.error: {probability: 1%..50%, at: 0s..2m, for: 10s..2m}
      workload:                # workload settings by key path
        steady.rate: 5/s..20/s
      system:                  # settings of the searched system by key path
        queue.dead_letter.max_receive_count: 10..2

Ranges are `LO..HI` (`chaos._spec.ranges`); each shrinks toward its first bound. The model
checks the shapes and that every range parses; `chaos._spec.semantics` checks that each
candidate fault is valid at both ends of its ranges.
"""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from chaos._spec.base import Problem, SpecModel, SpecProblems
from chaos._spec.ranges import RANGE_FORM, RangeError, is_range, parse_range, ranges_in


class SearchSpace(SpecModel):
    """What a search may vary."""

    faults: tuple[dict[str, Any], ...] = ()
    """Candidate faults, written as in `faults:`, any parameter a range `LO..HI`; a search
    adds each to the experiment's own faults or not."""
    workload: dict[str, Any] = {}
    """Workload settings by key path (`steady.rate`, `bursts[0].rate`): a range each."""
    system: dict[str, Any] = {}
    """Settings of the searched system by key path (`queue.dead_letter.max_receive_count`),
    as in a system definition: a range each."""

    @model_validator(mode="after")
    def _ranges_parse(self) -> SearchSpace:
        problems: list[Problem] = []
        for index, candidate in enumerate(self.faults):
            if len(candidate) != 1:
                problems.append(
                    Problem(
                        ("faults", index),
                        "a candidate fault has one key, its fault type",
                        "write '- lambda.error: {probability: 1%..50%, at: 0s..1m}'",
                    )
                )
                continue
            for loc, text in ranges_in(candidate):
                problems.extend(_range_problem(("faults", index, *loc), text))
        for part in ("workload", "system"):
            for path, value in getattr(self, part).items():
                if not is_range(value):
                    problems.append(
                        Problem((part, path), f"{path} needs a range, not {value!r}", RANGE_FORM)
                    )
                    continue
                problems.extend(_range_problem((part, path), value))
        if not (self.faults or self.workload or self.system):
            problems.append(
                Problem(
                    ("faults",),
                    "an empty search space has nothing to vary",
                    "add candidate faults, workload or system ranges",
                    missing=True,
                )
            )
        if problems:
            raise SpecProblems(problems)
        return self


def _range_problem(loc: tuple[str | int, ...], text: str) -> list[Problem]:
    try:
        parse_range(text)
    except RangeError as error:
        return [Problem(loc, str(error), RANGE_FORM)]
    return []


__all__ = ["SearchSpace"]
