"""Loss spikes: a sharp rise above the best value seen so far.

A point is *in a spike* when it is at least ``SPIKE_RATIO`` times the running best (the lowest
finite value before it), the rise gives back at least ``SPIKE_LOST_PROGRESS`` of the progress
made since the first point, and the rise above the best is at least ``NOISE_MULTIPLE`` times the
curve's noise before it. The noise is the ``NOISE_QUANTILE`` quantile of the distances of the
earlier points from the median of their ``NOISE_WINDOW``-point neighbourhood: zero for a curve
that only goes down (progress is not noise), about one standard deviation σ for Gaussian noise,
so ``NOISE_MULTIPLE`` = 8 asks for a rise of about 8 σ above the lowest point (itself a low
draw of the noise). It is measured on the points before the spike; for a spike early in the
curve (fewer than ``NOISE_PREFIX_RESIDUALS`` full windows before it) on all points outside the
spike episode, and not at all with fewer than ``NOISE_MIN_RESIDUALS`` windows. (A median instead
of the 75th percentile would be 0 for a fifth of noisy points by construction, and too unstable
on short prefixes.)

The spike's onset is the first such point, its peak the highest point of the episode, and it
has *recovered* once the loss comes back within ``RECOVERY_RATIO`` of the pre-spike best. A
spike that starts in the warm-up (the first ``WARMUP_POINTS`` points, or the first
``WARMUP_FRACTION`` of a long series) and recovers is a start-up wobble and is left out. A spike
with fewer than ``OPEN_END_POINTS`` points after its onset is *open at the end*: the log stops
too early to tell whether it recovers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

SPIKE_RATIO = 2.0
SPIKE_LOST_PROGRESS = 0.3
RECOVERY_RATIO = 1.5
NOISE_WINDOW = 5
NOISE_QUANTILE = 0.75
NOISE_MULTIPLE = 8.0
NOISE_MIN_RESIDUALS = 6
NOISE_PREFIX_RESIDUALS = 12
WARMUP_POINTS = 3
WARMUP_FRACTION = 0.02
OPEN_END_POINTS = 2
SHARP_POINTS = 3  # a spike rises mostly within this many points (a drift is overfitting)
SHARP_FRACTION = 0.5
CRITERION = (
    f"loss ≥ {SPIKE_RATIO:g}× the best value before it, ≥ {SPIKE_LOST_PROGRESS:.0%} of the "
    f"progress since the first point lost, at least {SHARP_FRACTION:.0%} of the rise within "
    f"{SHARP_POINTS} points (a slow drift upwards is not a spike), and a rise above that best of "
    f"≥ {NOISE_MULTIPLE:g}× the curve's noise before it (the {NOISE_QUANTILE:.0%} quantile of "
    f"the earlier points' distances from the median of their {NOISE_WINDOW} neighbours: 0 for a "
    "curve that only falls, about one standard deviation of Gaussian noise; for an early spike, "
    f"the points outside the spike are used; not checked with fewer than {NOISE_MIN_RESIDUALS} "
    f"such windows); recovered when back within {RECOVERY_RATIO:g}× of that best; a spike that "
    f"starts in the first {WARMUP_POINTS} points (or the first {WARMUP_FRACTION:.0%} of a long "
    "series) and recovers is a start-up wobble and is not reported; with fewer than "
    f"{OPEN_END_POINTS} points after its onset it is too late to tell whether it recovers"
)


@dataclass(frozen=True)
class Spike:
    """One spike episode, by 0-based position in the series.

    Positions and values are those of the logged (raw) series, also when the episode was
    detected on a rolling median (``smoothed``; ``detected_onset`` is then the position where
    the median crossed). ``noise`` is the noise level the rise was compared with (None when too
    few points preceded the spike to measure it).
    """

    onset: int
    peak: int
    end: int | None
    best_before: float
    best_index: int
    peak_value: float
    onset_value: float
    recovered: bool
    open_at_end: bool = False
    smoothed: bool = False
    window: int = 1
    detected_onset: int | None = None
    noise: float | None = None

    @property
    def ratio(self) -> float:
        """Peak over the best value before the spike."""
        return self.peak_value / self.best_before if self.best_before else float("inf")


def find_spikes(values: np.ndarray, *, window: int = 1) -> list[Spike]:
    """All spike episodes of a loss series (lower is better).

    ``window`` > 1 detects on a trailing rolling median instead of single points (for noisy
    per-step losses); the onset, peak and best are then read back from the logged values.
    Non-finite values are skipped here; divergence has its own detector.

    >>> [s.onset for s in find_spikes(np.array([1.0, 0.5, 0.2, 0.1, 0.9, 0.8, 0.7]))]
    [4]
    """
    raw = np.asarray(values, dtype=float)
    y = _smooth(raw, window)
    smoothed = y is not raw
    finite = np.isfinite(y)
    if finite.sum() < 3:
        return []
    first = y[np.argmax(finite)]
    resid = _residuals(y)
    warmup = max(WARMUP_POINTS, int(WARMUP_FRACTION * len(y)))
    spikes: list[Spike] = []
    best, best_i = np.inf, -1
    i = 0
    while i < len(y):
        v = y[i]
        if not np.isfinite(v):
            i += 1
            continue
        sharp = _sharp(y, i, best, max(SHARP_POINTS, window))
        spike = (_episode(y, i, best, best_i)
                 if best_i >= 0 and _is_spike(v, best, first) and sharp else None)
        noise = _noise(resid, i, spike.end if spike else None)
        if spike is not None and _above_noise(v, best, noise):
            spike = replace(spike, noise=noise, detected_onset=i)
            if smoothed:
                spike = _on_raw(raw, spike, window)
            if i >= warmup or not spike.recovered:
                spikes.append(_mark_open(spike, len(y)))
            if spike.end is None:
                break
            i = spike.end
            continue
        if v < best:
            best, best_i = v, i
        i += 1
    return spikes


def _sharp(y: np.ndarray, i: int, best: float, span: int) -> bool:
    """At least ``SHARP_FRACTION`` of the rise above ``best`` happened in the last ``span``
    points: a jump, not a slow drift upwards (which the overfitting detector reports)."""
    earlier = y[max(i - span, 0):i]
    earlier = earlier[np.isfinite(earlier)]
    if not len(earlier):
        return True
    return y[i] - float(earlier.min()) >= SHARP_FRACTION * (y[i] - best)


def _is_spike(v: float, best: float, first: float) -> bool:
    progress = first - best
    if best <= 0 or progress <= 0:
        return False
    return v >= SPIKE_RATIO * best and (v - best) >= SPIKE_LOST_PROGRESS * progress


def _above_noise(v: float, best: float, noise: float | None) -> bool:
    return noise is None or (v - best) >= NOISE_MULTIPLE * noise


def _residuals(y: np.ndarray) -> np.ndarray:
    """``|y - centred rolling median|`` per point; NaN where the window is incomplete."""
    if len(y) < NOISE_WINDOW:
        return np.full(len(y), np.nan)
    import pandas as pd

    med = pd.Series(y).rolling(NOISE_WINDOW, center=True, min_periods=NOISE_WINDOW).median()
    return np.abs(y - med.to_numpy())


def _noise(resid: np.ndarray, i: int, end: int | None) -> float | None:
    """``NOISE_QUANTILE`` of the residuals whose windows lie wholly before position ``i``.

    With fewer than ``NOISE_PREFIX_RESIDUALS`` of those (a spike early in the curve), the
    residuals whose windows lie wholly outside the episode ``[i, end)`` are used, after it too;
    None when fewer than ``NOISE_MIN_RESIDUALS`` exist.
    """
    half = NOISE_WINDOW // 2
    before = resid[: max(i - half, 0)]
    before = before[np.isfinite(before)]
    if len(before) < NOISE_PREFIX_RESIDUALS and end is not None:
        after = resid[end + half:]
        before = np.concatenate([before, after[np.isfinite(after)]])
    if len(before) < NOISE_MIN_RESIDUALS:
        return None
    return float(np.quantile(before, NOISE_QUANTILE))


def _episode(y: np.ndarray, onset: int, best: float, best_i: int) -> Spike:
    end = None
    for j in range(onset + 1, len(y)):
        if np.isfinite(y[j]) and y[j] <= RECOVERY_RATIO * best:
            end = j
            break
    stop = end if end is not None else len(y)
    peak = onset + _argmax_finite(y[onset:stop])
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


def _on_raw(raw: np.ndarray, s: Spike, window: int) -> Spike:
    """The episode ``s`` found on the rolling median, with positions and values of ``raw``.

    best = the lowest logged value up to the median's onset; onset = the first logged point
    after it (and within the median's window) that crosses the spike threshold; peak = the
    highest logged value from there to the median's recovery. Falls back to ``s`` when the
    logged values do not cross the threshold.
    """
    head = raw[: s.onset + 1]
    if not np.isfinite(head).any():
        return replace(s, smoothed=True, window=window)
    b = int(np.nanargmin(head))
    first = float(raw[np.argmax(np.isfinite(raw))])
    stop = s.end if s.end is not None else len(raw)
    onset = _first_crossing(raw, b, first, max(b + 1, s.onset - window + 1), stop)
    if onset is None:
        onset = _first_crossing(raw, b, first, b + 1, stop)
    if onset is None:
        return replace(s, smoothed=True, window=window)
    peak = onset + _argmax_finite(raw[onset:stop])
    return replace(
        s,
        onset=onset,
        peak=peak,
        best_before=float(raw[b]),
        best_index=b,
        peak_value=float(raw[peak]),
        onset_value=float(raw[onset]),
        smoothed=True,
        window=window,
    )


def _first_crossing(raw: np.ndarray, b: int, first: float, lo: int, stop: int) -> int | None:
    best = float(raw[b])
    for j in range(lo, stop):
        if np.isfinite(raw[j]) and _is_spike(float(raw[j]), best, first):
            return j
    return None


def _mark_open(s: Spike, n: int) -> Spike:
    """Flag an unrecovered spike with fewer than ``OPEN_END_POINTS`` points after its onset."""
    return replace(s, open_at_end=not s.recovered and n - 1 - s.onset < OPEN_END_POINTS)


def _argmax_finite(seg: np.ndarray) -> int:
    return int(np.argmax(np.where(np.isfinite(seg), seg, -np.inf)))


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or len(y) < window:
        return y
    import pandas as pd

    return pd.Series(y).rolling(window, min_periods=1).median().to_numpy()
