"""Intervals for the confirmation's outcomes: Wilson for a failure rate, bootstrap for a median.

Both are 95% intervals. The bootstrap draws from a generator with a fixed seed, so the same
values always give the same interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Z95 = 1.959963984540054  # the 97.5% quantile of the standard normal distribution
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of the proportion ``successes / n``.

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``; unlike the normal
    approximation it stays inside [0, 1] and is not empty at 0 or n successes.

    >>> [round(v, 4) for v in wilson(3, 8, 1.96)]
    [0.1368, 0.6943]
    """
    if n < 1:
        raise ValueError(f"wilson needs n >= 1, got {n!r}")
    if not 0 <= successes <= n:
        raise ValueError(f"wilson needs 0 <= successes <= n, got {successes!r} of {n!r}")
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    center = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, center - half), min(1.0, center + half)


def bootstrap_median(
    values: Sequence[float],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the median of ``values`` (None when there are none).

    ``resamples`` samples of the same size are drawn with replacement from
    ``numpy.random.default_rng(seed)``; the interval is the ``(1-level)/2`` and
    ``(1+level)/2`` quantiles of their medians. With a single value it is that value.
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return None
    rng = np.random.default_rng(seed)
    medians = np.median(x[rng.integers(0, x.size, size=(resamples, x.size))], axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(medians, [tail, 1.0 - tail])
    return float(low), float(high)

