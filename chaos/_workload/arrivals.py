"""When requests arrive: steady traffic, bursts and ramps, evenly spaced or Poisson.

Pure functions of the workload, the experiment duration and one random stream. Arrivals are
generated as the run reaches them, never held in a list: a million-request run would keep
tens of MB of floats (and their requests) alive from its first second.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from chaos._spec.experiment import RampUp, Workload

Part = Callable[[random.Random], Iterator[float]]
"""One part of a workload (steady, a burst, a ramp): its sorted arrivals from a stream."""


@dataclass(frozen=True)
class Arrivals:
    """Every arrival in [0, duration), sorted, generated lazily; `count` is known up front.

    The parts draw from one stream, one part after another (each part's Poisson gaps come
    from where the previous part's left the stream). Merging them lazily would interleave
    their draws and so move every arrival; instead a first pass runs each part once, to
    count its arrivals and keep the stream's state where the part starts, and each
    iteration replays every part from its own saved state. Same times, same order, as a
    list merged up front.
    """

    parts: tuple[Part, ...]
    starts: tuple[tuple[object, ...], ...]
    """`random.Random.getstate()` where each part starts drawing."""
    count: int

    def __iter__(self) -> Iterator[float]:
        streams = []
        for part, state in zip(self.parts, self.starts, strict=True):
            draw = random.Random()
            draw.setstate(state)
            streams.append(part(draw))
        return heapq.merge(*streams)

    def __len__(self) -> int:
        return self.count


def arrival_times(workload: Workload, duration: float, draw: random.Random) -> Arrivals:
    """Every arrival in [0, duration), sorted and lazily; `draw` ends where a list of them
    drawn whole would have left it."""
    parts = _parts(workload, duration, workload.arrivals == "poisson")
    starts = []
    count = 0
    for part in parts:
        starts.append(draw.getstate())
        count += sum(1 for _ in part(draw))
    return Arrivals(tuple(parts), tuple(starts), count)


def _parts(workload: Workload, duration: float, poisson: bool) -> list[Part]:
    parts: list[Part] = []

    def constant(rate: float, start: float, end: float) -> Part:
        return lambda draw: _constant(rate, start, end, poisson, draw)

    if workload.steady is not None:
        steady = workload.steady
        end = duration if steady.duration is None else steady.at + steady.duration
        parts.append(constant(steady.rate, steady.at, min(end, duration)))
    for burst in workload.bursts:
        parts.append(constant(burst.rate, burst.at, min(burst.at + burst.duration, duration)))
    for ramp in workload.ramps:
        parts.append(_ramp_part(ramp, min(ramp.at + ramp.duration, duration), poisson))
    return parts


def _ramp_part(ramp: RampUp, end: float, poisson: bool) -> Part:
    def part(draw: random.Random) -> Iterator[float]:
        return _ramp(ramp.from_rate, ramp.to_rate, ramp.at, ramp.duration, end, poisson, draw)

    return part


def _constant(
    rate: float, start: float, end: float, poisson: bool, draw: random.Random
) -> Iterator[float]:
    if poisson:
        t = start + draw.expovariate(rate)
        while t < end:
            yield t
            t += draw.expovariate(rate)
        return
    k = 0
    while (t := start + k / rate) < end:
        yield t
        k += 1


def _ramp(
    rate_from: float,
    rate_to: float,
    start: float,
    length: float,
    end: float,
    poisson: bool,
    draw: random.Random,
) -> Iterator[float]:
    slope = (rate_to - rate_from) / length
    if poisson:
        # Thinning: candidates at the peak rate, each kept with probability rate(t)/peak.
        peak = max(rate_from, rate_to)
        for t in _constant(peak, start, end, True, draw):
            if draw.random() * peak < rate_from + slope * (t - start):
                yield t
        return
    # The k-th arrival is where the integral of the rate reaches k.
    k = 0
    while True:
        offset = _solve(rate_from, slope, k)
        t = start + offset
        if t >= end:
            return
        yield t
        k += 1


def _solve(rate_from: float, slope: float, count: float) -> float:
    """x >= 0 with rate_from * x + slope * x**2 / 2 == count."""
    if abs(slope) < 1e-12:
        return count / rate_from
    discriminant = rate_from * rate_from + 2 * slope * count
    if discriminant < 0:
        return math.inf
    return (-rate_from + math.sqrt(discriminant)) / slope
