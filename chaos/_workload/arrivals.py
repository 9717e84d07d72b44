"""When requests arrive: steady traffic, bursts and ramps, evenly spaced or Poisson.

Pure functions of the workload, the experiment duration and one random stream.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator

from chaos._spec.experiment import Workload


def arrival_times(workload: Workload, duration: float, draw: random.Random) -> list[float]:
    """Every arrival in [0, duration), sorted."""
    poisson = workload.arrivals == "poisson"
    streams: list[list[float]] = []
    if workload.steady is not None:
        steady = workload.steady
        end = duration if steady.duration is None else steady.at + steady.duration
        streams.append(list(_constant(steady.rate, steady.at, min(end, duration), poisson, draw)))
    for burst in workload.bursts:
        end = min(burst.at + burst.duration, duration)
        streams.append(list(_constant(burst.rate, burst.at, end, poisson, draw)))
    for ramp in workload.ramps:
        end = min(ramp.at + ramp.duration, duration)
        streams.append(
            list(_ramp(ramp.from_rate, ramp.to_rate, ramp.at, ramp.duration, end, poisson, draw))
        )
    return list(heapq.merge(*streams))


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
