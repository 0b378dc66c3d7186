"""Statistics for outcomes: pure functions over plain numbers (nothing of ours imported).

- mean change with a Student-t 95 % confidence interval, from sufficient statistics;
- responder rate with a Wilson score interval;
- adverse events per 100 sessions with an exact (Garwood) Poisson interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float


@dataclass
class Moments:
    """Running n, sum and sum of squares, so groups can be aggregated in one pass."""

    n: int = 0
    total: float = 0.0
    squares: float = 0.0

    def add(self, x: float) -> None:
        self.n += 1
        self.total += x
        self.squares += x * x

    @classmethod
    def of(cls, values: Iterable[float]) -> Moments:
        moments = cls()
        for value in values:
            moments.add(value)
        return moments


def mean_ci(moments: Moments, level: float = 0.95) -> Estimate | None:
    """Mean with a t interval; None without data, and a point estimate for n = 1."""
    n = moments.n
    if n == 0:
        return None
    mean = moments.total / n
    if n == 1:
        return Estimate(mean, math.nan, math.nan)
    from scipy.stats import t  # imported when needed: web workers stay small

    variance = max((moments.squares - n * mean * mean) / (n - 1), 0.0)
    half = float(t.ppf(0.5 + level / 2, n - 1)) * math.sqrt(variance / n)
    return Estimate(mean, mean - half, mean + half)


def wilson(successes: int, n: int, z: float = Z_95) -> Estimate | None:
    if n == 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At 0 or n the bounds are exactly 0 or 1; rounding would put them a hair off.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Estimate(p, low, high)


def poisson_rate(events: int, exposure: float, per: float = 100.0,
                 level: float = 0.95) -> Estimate | None:
    """Events per ``per`` units of exposure (sessions) with the exact Garwood interval."""
    if exposure <= 0:
        return None
    from scipy.stats import chi2

    alpha = 1 - level
    low = 0.0 if events == 0 else float(chi2.ppf(alpha / 2, 2 * events)) / 2
    high = float(chi2.ppf(1 - alpha / 2, 2 * events + 2)) / 2
    scale = per / exposure
    return Estimate(events * scale, low * scale, high * scale)


def is_responder(*, kind: str, threshold: float, higher_is_better: bool,
                 baseline: float | None, value: float) -> bool:
    """"level": the value itself is good enough (GAIS ≤ 3 is "improved"); "change": it moved
    from the baseline by at least the threshold, in the good direction."""
    if kind == "level":
        return value >= threshold if higher_is_better else value <= threshold
    if baseline is None:
        return False
    change = value - baseline
    return change >= threshold if higher_is_better else -change >= threshold
