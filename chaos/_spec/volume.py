"""How much work an experiment asks for: the requests its workload sends, counted in closed
form (never by generating them), and the limit a run is held to.

A run keeps every request's history (the ledger) and moto keeps every item a handler writes,
so memory grows with the requests: 3-4 KB each on the reference systems (`bench/memory.py`),
moto's table item (~2 KB) included. `steady: {rate: 100000/s, for: 1h}` is 360 million
requests, hundreds of GB: a valid-looking file that would take the machine down. The loader
refuses an experiment above the limit as it refuses any other bad value, at the key that
asks for the traffic, saying the number; the front ends let the user raise it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

# Only types at import: the CLI and the pytest plugin read DEFAULT_MAX_REQUESTS for their
# help text without importing pydantic.
if TYPE_CHECKING:
    from chaos._spec.base import Loc, Problem
    from chaos._spec.experiment import Workload

DEFAULT_MAX_REQUESTS = 1_000_000
"""A million requests: a run within ~4 GB and under half an hour of CPU on the reference systems,
where the shipped experiments send 10,000 at most. Raise it with `--max-requests N` (pytest:
`--chaos-max-requests N` or ini `chaos_max_requests`)."""

RAISE_HINT = (
    "lower the rate or shorten the traffic; or raise the limit with --max-requests N "
    "(pytest: --chaos-max-requests N or ini chaos_max_requests), knowing that each request "
    "holds 3-4 KB of memory until the run ends"
)


@dataclass(frozen=True)
class Traffic:
    """One part of a workload (steady traffic, a burst, a ramp) and the requests it sends."""

    loc: Loc
    """The key that sets its rate, relative to the experiment."""
    label: str
    requests: float
    """Exact for evenly spaced arrivals, the expected number for Poisson ones."""


def traffic(workload: Workload, duration: float) -> list[Traffic]:
    """The requests each part of `workload` sends before `duration` ends, as the arrivals
    module generates them (a part that runs past the end is cut there)."""
    parts: list[Traffic] = []
    if (steady := workload.steady) is not None:
        end = duration if steady.duration is None else steady.at + steady.duration
        length = min(end, duration) - steady.at
        parts.append(
            Traffic(("workload", "steady", "rate"), "steady traffic", _count(steady.rate, length))
        )
    for index, burst in enumerate(workload.bursts):
        length = min(burst.at + burst.duration, duration) - burst.at
        parts.append(
            Traffic(("workload", "bursts", index, "rate"), "a burst", _count(burst.rate, length))
        )
    for index, ramp in enumerate(workload.ramps):
        length = max(0.0, min(ramp.at + ramp.duration, duration) - ramp.at)
        slope = (ramp.to_rate - ramp.from_rate) / ramp.duration
        sent = ramp.from_rate * length + slope * length * length / 2
        key = "to" if ramp.to_rate >= ramp.from_rate else "from"
        parts.append(Traffic(("workload", "ramps", index, key), "a ramp", _whole(sent)))
    return parts


def _count(rate: float, length: float) -> float:
    """Arrivals at start + k / rate before start + length: k = 0 .. ceil(rate * length) - 1."""
    return _whole(rate * length) if length > 0 else 0.0


def _whole(requests: float) -> float:
    # A hair below a whole number is that number: `10/s` for `1s` sends 10, not 11.
    return float(math.ceil(requests - 1e-9)) if math.isfinite(requests) else math.inf


def request_count(workload: Workload, duration: float) -> float:
    """Every request the workload sends in a run (inf when too many to count)."""
    return sum(part.requests for part in traffic(workload, duration))


def limit_problem(workload: Workload, duration: float, limit: int) -> Problem | None:
    """The problem of a workload that sends more than `limit` requests, at the key of the
    part that sends most; None within the limit."""
    from chaos._spec.base import Problem

    parts = traffic(workload, duration)
    total = sum(part.requests for part in parts)
    if total <= limit:
        return None
    largest = max(parts, key=lambda part: part.requests)
    about = "about " if workload.arrivals == "poisson" else ""
    share = ""
    if len(parts) > 1:
        share = f"; {largest.label} here sends {about}{_number(largest.requests)} of them"
    return Problem(
        largest.loc,
        f"this experiment sends {about}{_number(total)} requests a run, more than the limit "
        f"of {limit:,}{share}",
        RAISE_HINT,
    )


def _number(requests: float) -> str:
    return f"{int(requests):,}" if math.isfinite(requests) else "more than can be counted"
