"""Proportions from few samples: the Wilson score interval.

A survival rate from 20 seeds is an estimate; the Wilson interval says how far the true
rate may be from it. It stays inside [0, 1] and is sensible at 0 and n successes, where the
textbook normal interval collapses to a point (Wilson 1927; Brown, Cai and DasGupta 2001,
"Interval Estimation for a Binomial Proportion", recommend it for small n).
"""

from __future__ import annotations

import math

Z_95 = 1.959963984540054
"""The standard normal quantile for a two-sided 95 % interval."""


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of `successes` out of `trials` (95 % by default)."""
    if trials <= 0:
        return (0.0, 1.0)
    if not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes out of {trials} trials")
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # At the ends the bound is exact; rounding must not move it off 0 or 1.
    if successes == 0:
        low = 0.0
    if successes == trials:
        high = 1.0
    return (low, high)
