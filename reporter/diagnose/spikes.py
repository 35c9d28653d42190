"""Loss spikes: a sharp rise above the best value seen so far.

A point is *in a spike* when it is at least ``SPIKE_RATIO`` times the running best (the lowest
finite value before it) and the rise gives back at least ``SPIKE_LOST_PROGRESS`` of the
progress made since the first point. The spike's onset is the first such point, its peak the
highest point of the episode, and it has *recovered* once the loss comes back within
``RECOVERY_RATIO`` of the pre-spike best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPIKE_RATIO = 2.0
SPIKE_LOST_PROGRESS = 0.3
RECOVERY_RATIO = 1.5
CRITERION = (
    f"loss ≥ {SPIKE_RATIO:g}× the best value before it and ≥ {SPIKE_LOST_PROGRESS:.0%} of the "
    f"progress since the first point lost; recovered when back within "
    f"{RECOVERY_RATIO:g}× of that best"
)


@dataclass(frozen=True)
class Spike:
    """One spike episode, by 0-based position in the series."""

    onset: int
    peak: int
    end: int | None
    best_before: float
    best_index: int
    peak_value: float
    onset_value: float
    recovered: bool

    @property
    def ratio(self) -> float:
        """Peak over the best value before the spike."""
        return self.peak_value / self.best_before if self.best_before else float("inf")


def find_spikes(values: np.ndarray, *, window: int = 1) -> list[Spike]:
    """All spike episodes of a loss series (lower is better).

    ``window`` > 1 compares a rolling median instead of single points (for noisy per-step
    losses). Non-finite values are skipped here; divergence has its own detector.

    >>> [s.onset for s in find_spikes(np.array([1.0, 0.5, 0.2, 0.1, 0.9, 0.8, 0.7]))]
    [4]
    """
    y = _smooth(np.asarray(values, dtype=float), window)
    finite = np.isfinite(y)
    if finite.sum() < 3:
        return []
    first = y[np.argmax(finite)]
    spikes: list[Spike] = []
    best, best_i = np.inf, -1
    i = 0
    while i < len(y):
        v = y[i]
        if not np.isfinite(v):
            i += 1
            continue
        if best_i >= 0 and _is_spike(v, best, first):
            spike = _episode(y, i, best, best_i)
            spikes.append(spike)
            if spike.end is None:
                break
            i = spike.end
            continue
        if v < best:
            best, best_i = v, i
        i += 1
    return spikes


def _is_spike(v: float, best: float, first: float) -> bool:
    progress = first - best
    if best <= 0 or progress <= 0:
        return False
    return v >= SPIKE_RATIO * best and (v - best) >= SPIKE_LOST_PROGRESS * progress


def _episode(y: np.ndarray, onset: int, best: float, best_i: int) -> Spike:
    end = None
    for j in range(onset + 1, len(y)):
        if np.isfinite(y[j]) and y[j] <= RECOVERY_RATIO * best:
            end = j
            break
    stop = end if end is not None else len(y)
    seg = np.where(np.isfinite(y[onset:stop]), y[onset:stop], -np.inf)
    peak = onset + int(np.argmax(seg))
    return Spike(
        onset=onset,
        peak=peak,
        end=end,
        best_before=float(best),
        best_index=best_i,
        peak_value=float(y[peak]),
        onset_value=float(y[onset]),
        recovered=end is not None,
    )


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or len(y) < window:
        return y
    import pandas as pd

    return pd.Series(y).rolling(window, min_periods=1).median().to_numpy()
