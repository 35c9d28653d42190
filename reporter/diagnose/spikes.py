"""Loss spikes: a sharp rise above the loss's own recent level, on every logged point.

A point is *in a spike* when it is at least ``SPIKE_RATIO`` times the *level before it* (the
median of the ``LEVEL_POINTS`` finite points just before it) and the rise above that level is
at least ``NOISE_MULTIPLE`` times the curve's noise there. Every logged point is tested: a
rolling median only *estimates* the noise, it never hides a point, so a spike of one or two
steps in a per-step log is found. The noise is relative: the ``NOISE_QUANTILE`` quantile of
``|y / m - 1|`` over the last ``NOISE_RECENT`` points before the spike, ``m`` the median of each
point's ``NOISE_WINDOW``-point neighbourhood, times the level (so a loss that fell by decades,
a PINN or a long fine-tune, is judged by its noise *now*, not by the size of its early
progress). That quantile is zero for a curve that only goes down (progress is not noise) and
about one standard deviation σ of multiplicative Gaussian noise, so ``NOISE_MULTIPLE`` = 6 asks
for a rise of about 6 σ above the level. For a spike early in the curve (fewer than
``NOISE_PREFIX_RESIDUALS`` full windows before it) the windows outside the spike episode are
used, and the noise is not checked with fewer than ``NOISE_MIN_RESIDUALS`` windows. A jump
that *holds*, each of its first ``SHIFT_POINTS`` points ≥ ``SPIKE_RATIO`` × the level and ≥
``SHIFT_MULTIPLE`` × the noise above it (widened by ``√((1 + ρ) / (1 − ρ))``, ρ the noise's
correlation from one point to the next), is a spike too: its evidence adds up over those points
(a noisy per-step log's level shift that no single point shows at 6 σ); so is a level that
jumps and stays (the median of the ``SHIFT_LONG`` points from it against the ``SHIFT_LONG``
before, ``SHIFT_LONG_ERRORS`` standard errors apart: a run that relearns slowly from a higher
loss, which no three points of a noisy log show). Near zero, where the
absolute scatter is as large as the level, the rise is compared with the absolute scatter of
the last ``NOISE_LOCAL`` points (a loss that fell by decades scattered far more, in absolute
terms, while it was high). A *lone* point (the next one already back by more than half the
rise) is one draw of the noise: it must also rise ``TAIL_MULTIPLE`` times the largest distance
of those earlier points from their medians, so a noise with heavy tails (single-batch losses,
a GAN's discriminator) is judged by its own tail, not by its typical scatter.

The spike's onset is the first such point, its peak the highest point of the episode, and it
has *recovered* once the loss comes back to less than halfway between the level and the
spike threshold. ``best_before`` is the lowest finite value before the onset (the report
quotes the peak against it). A spike that starts in the warm-up (the first ``WARMUP_POINTS``
points, or the first ``WARMUP_FRACTION`` of a long series) and recovers is a start-up wobble
and is left out. A spike with fewer than ``OPEN_END_POINTS`` points after its onset is *open at
the end*: the log stops too early to tell whether it recovers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

SPIKE_RATIO = 1.4
LEVEL_POINTS = 5
NOISE_WINDOW = 5
NOISE_QUANTILE = 0.75
NOISE_MULTIPLE = 6.0
NOISE_RECENT = 200
NOISE_LOCAL = 20  # the noise is the larger of the quantiles over the last 200 and the last 20
NOISE_MIN_RESIDUALS = 6
TAIL_MULTIPLE = 2.5  # a lone point: times the largest earlier distance from the median
SHIFT_POINTS = 3  # a jump that holds this many points is judged on its lowest point
SHIFT_MULTIPLE = 4.0
SHIFT_LONG = 20  # a jump that holds long: the median of this many points after and before
SHIFT_LONG_ERRORS = 5.0
SHIFT_MAX_CORRELATION = 0.8
CORRELATION_WINDOW = 21
QUANTA = 3  # a rise must span this many steps of the log's rounding
ROUNDED_LEVEL = 10  # below this many rounding steps, a point's noise is the rounding's
NOISE_PREFIX_RESIDUALS = 12
WARMUP_POINTS = 3
WARMUP_FRACTION = 0.02
OPEN_END_POINTS = 2
CRITERION = (
    f"a logged value ≥ {SPIKE_RATIO:g}× the level before it (the median of the "
    f"{LEVEL_POINTS} finite points just before it; every point is tested, none is smoothed "
    f"away) and a rise above that level of ≥ {NOISE_MULTIPLE:g}× the curve's noise there (the "
    f"{NOISE_QUANTILE:.0%} quantile of the relative distances of the last {NOISE_RECENT} "
    f"earlier points, or of the last {NOISE_LOCAL} if larger, from the median of their "
    f"{NOISE_WINDOW} neighbours, times the level; where the same quantile of the absolute "
    f"distances of the last {NOISE_LOCAL} points is as large as the level (a loss near zero), "
    "the rise itself is compared with that absolute noise: 0 for a curve that only falls, "
    "about one standard deviation of multiplicative noise; for an early spike, the points "
    f"outside the spike are used), or a jump that holds: each of its first {SHIFT_POINTS} points "
    f"≥ {SPIKE_RATIO:g}× the level and ≥ {SHIFT_MULTIPLE:g}× the noise above it, times "
    "√((1 + ρ) / (1 − ρ)) for a noise whose consecutive points correlate by ρ > 0, or that "
    f"holds long: the median of the {SHIFT_LONG} points from it ≥ {SPIKE_RATIO:g}× the median "
    f"of the {SHIFT_LONG} before, by ≥ {SHIFT_LONG_ERRORS:g} standard errors of the two "
    f"medians (1.25 × the noise / 0.6745 × √(2 / {SHIFT_LONG}), widened the same way); the noise "
    f"is not checked with fewer than {NOISE_MIN_RESIDUALS} such windows, nor where the level is "
    f"below {ROUNDED_LEVEL} steps of the log's rounding; a lone point (the next one back by more "
    f"than half the rise) must also rise ≥ {TAIL_MULTIPLE:g}× the largest of those relative "
    f"distances (the noise's own tail); a rise of ≥ {QUANTA} such steps (the "
    "smallest difference between two logged values), so rounding alone is never a spike; "
    "recovered when back below halfway between the level and that threshold (when the level "
    f"itself moved, the medians of the {LEVEL_POINTS} and of the {SHIFT_LONG} points from the "
    f"onset ≥ {SPIKE_RATIO:g}× that of the {SHIFT_LONG} before, when the median of the last "
    f"{SHIFT_LONG} points is back halfway, in log, to the level before: one low draw of the "
    "noise is not a recovery); a spike that "
    f"starts in the first {WARMUP_POINTS} points (or the first {WARMUP_FRACTION:.0%} of a long "
    "series) and recovers is a start-up wobble and is not reported; with fewer than "
    f"{OPEN_END_POINTS} points after its onset it is too late to tell whether it recovers"
)


@dataclass(frozen=True)
class Spike:
    """One spike episode, by 0-based position in the logged series.

    ``level`` is the median of the points just before the onset, ``best_before`` the lowest
    value before it; ``noise`` is the noise level the rise was compared with (None when too
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
    level: float | None = None
    detected_onset: int | None = None
    noise: float | None = None

    @property
    def ratio(self) -> float:
        """Peak over the best value before the spike."""
        return self.peak_value / self.best_before if self.best_before > 0 else float("inf")


def find_spikes(values: np.ndarray, *, ratio: float | None = None,
                noise_multiple: float | None = None, tail: bool = True) -> list[Spike]:
    """All spike episodes of a loss series (lower is better), on every logged point.

    Non-finite values are skipped here; divergence has its own detector. ``ratio`` replaces
    ``SPIKE_RATIO`` and ``noise_multiple`` ``NOISE_MULTIPLE`` (the gradient norm's rule);
    ``tail=False`` leaves out the lone point's tail test.
    The level before each point is computed for all points at once (a sliding-window median);
    only the points that clear the ratio are looked at one by one, so the cost grows with the
    points, not with the points times the window.

    >>> [s.onset for s in find_spikes(np.array([1.0, 0.5, 0.2, 0.1, 0.9, 0.8, 0.7]))]
    [4]
    """
    y = np.asarray(values, dtype=float)
    at = np.flatnonzero(np.isfinite(y))  # the finite points: the only ones the rule reads
    if at.size < 3:
        return []
    rule = _Rule(y, at, ratio or SPIKE_RATIO, noise_multiple or NOISE_MULTIPLE, tail)
    warmup = max(WARMUP_POINTS, int(WARMUP_FRACTION * len(y)))
    spikes: list[Spike] = []
    j, seed = 0, None  # scan from the j-th finite point; seed: the level a spike left behind
    while j < at.size:
        spike = rule.next_spike(j, seed)
        if spike is None:
            break
        if spike.onset >= warmup or not spike.recovered:
            spikes.append(_mark_open(spike, len(y)))
        if spike.end is None:
            break
        j = int(np.searchsorted(at, spike.end))
        seed = spike.level
    return spikes


class _Rule:
    """The spike rule over one series: the level before each finite point (the median of the
    ``LEVEL_POINTS`` finite points before it, for every point at once), the points that clear
    the ratio against it, and the running best value, advanced from one candidate to the
    next. ``next_spike`` gives the same spikes as stepping through every point in turn."""

    def __init__(self, y: np.ndarray, at: np.ndarray, ratio: float, k: float,
                 tail: bool = True) -> None:
        self.y, self.at, self.ratio, self.k, self.tail = y, at, ratio, k, tail
        self.v = y[at]
        self.quantum = _quantum(y)
        med = centred_median(y, NOISE_WINDOW, NOISE_WINDOW) if len(y) >= NOISE_WINDOW else None
        self.resid = (_residuals(y, self.quantum, med), _abs_residuals(y, med))
        self.level = np.full(at.size, np.nan)
        if at.size > LEVEL_POINTS:
            from numpy.lib.stride_tricks import sliding_window_view

            windows = sliding_window_view(self.v[:-1], LEVEL_POINTS)
            self.level[LEVEL_POINTS:] = np.partition(windows, LEVEL_POINTS // 2, axis=1)[
                :, LEVEL_POINTS // 2]
        with np.errstate(invalid="ignore"):
            self.rises = np.flatnonzero(self._clears(self.v, self.level))
        self.best, self.best_i, self.scanned = np.inf, -1, 0  # over every point not in a spike

    def _clears(self, v, level):
        """The ratio and rounding tests of the rule (no noise test yet)."""
        return (level > 0) & (v >= self.ratio * level) & (v - level >= QUANTA * self.quantum)

    def next_spike(self, j0: int, seed: float | None) -> Spike | None:
        """The first spike from the ``j0``-th finite point on; ``seed`` is the level carried
        over a spike (the first point after it is judged against it)."""
        self.scanned = j0  # the points of the spike before j0 never count as the best
        recent = [] if seed is None else [seed]
        head = min(j0 + LEVEL_POINTS, self.at.size)
        for j in range(j0, head):  # fewer than LEVEL_POINTS points since the start or spike
            level = float(np.median(recent[-LEVEL_POINTS:])) if recent else None
            spike = self._try(j, level)
            if spike is not None:
                return spike
            recent.append(float(self.v[j]))
        for j in self.rises[np.searchsorted(self.rises, head):].tolist():
            spike = self._try(j, float(self.level[j]))
            if spike is not None:
                return spike
        return None

    def _try(self, j: int, level: float | None) -> Spike | None:
        """The spike at the ``j``-th finite point, or None; the best value before it is
        brought up to date first."""
        if level is None or not self._clears(self.v[j], level):
            return None
        if j > self.scanned:
            part = self.v[self.scanned:j]
            low = int(np.argmin(part))
            if part[low] < self.best:
                self.best, self.best_i = float(part[low]), int(self.at[self.scanned + low])
            self.scanned = j
        return _candidate(self.y, self.resid, int(self.at[j]), level, self.best, self.best_i,
                          self.ratio, self.k, tail=self.tail)


def _candidate(y: np.ndarray, resid: tuple[np.ndarray, np.ndarray], i: int, level: float,
               best: float, best_i: int, ratio: float, k: float, *,
               tail: bool = True) -> Spike | None:
    """The episode starting at ``i`` when its rise clears the noise, else None.

    The rise is measured as ``log(value / level)``: multiplicative, like a loss's noise; near
    zero, where the absolute noise is as large as the level itself, as ``value - level``
    against the absolute noise (a relative noise says nothing there).
    """
    end = _recovery(y, i, level * np.sqrt(ratio))
    absolute = _noise(resid[1], i, end, recent=NOISE_LOCAL)
    if absolute is not None and absolute >= level:
        if y[i] - level < k * absolute:
            return None
        back = level + 0.5 * max((ratio - 1) * level, k * absolute)
        noise_abs = absolute
    else:
        pool = _pool(resid[0], i, end)
        noise = _quantile_noise(pool)
        if not _clears_noise(y, i, level, ratio, k, pool, tail=tail):
            return None
        need = max(np.log(ratio), k * noise if noise is not None else 0.0)
        back = level * float(np.exp(0.5 * need))
        noise_abs = None if noise is None else noise * level
    end = _end(y, i, back, ratio)
    stop = end if end is not None else len(y)
    peak = i + _argmax_finite(y[i:stop])
    return Spike(
        onset=i,
        peak=peak,
        end=end,
        best_before=float(best if best_i >= 0 else level),
        best_index=best_i if best_i >= 0 else max(i - 1, 0),
        peak_value=float(y[peak]),
        onset_value=float(y[i]),
        recovered=end is not None,
        level=level,
        detected_onset=i,
        noise=noise_abs,
    )


def _end(y: np.ndarray, i: int, back: float, ratio: float) -> int | None:
    """Where the episode from ``i`` recovers: its first point at or below ``back``; but when
    the level itself moved (the medians of the ``LEVEL_POINTS`` and of the ``SHIFT_LONG``
    points from ``i`` ≥ ``ratio`` × that of the ``SHIFT_LONG`` before), one low draw of the
    noise is not a recovery: the median of the last ``SHIFT_LONG`` points must come back
    halfway (in log) to the level before."""
    end = _recovery(y, i, back)
    levels = _shift_levels(y, i) if end is not None else None
    if levels is None or min(levels[0], _head_median(y, i)) < ratio * levels[1]:
        return end
    import pandas as pd

    after, before = levels
    seg = pd.Series(y[i:]).rolling(SHIFT_LONG, min_periods=SHIFT_LONG // 2).median().to_numpy()
    hits = np.flatnonzero(seg <= before * np.sqrt(after / before))
    return i + int(hits[0]) if len(hits) else None


def _recovery(y: np.ndarray, onset: int, back: float) -> int | None:
    """First position after ``onset`` whose finite value is at or below ``back`` (searched in
    growing chunks: a spike that recovers at once costs a few points, not the series)."""
    i, chunk = onset + 1, 64
    while i < len(y):
        part = y[i:i + chunk]
        hits = np.flatnonzero(np.isfinite(part) & (part <= back))
        if len(hits):
            return i + int(hits[0])
        i, chunk = i + chunk, min(chunk * 4, 1 << 20)
    return None


def centred_median(y: np.ndarray, window: int, min_periods: int = 1) -> np.ndarray:
    """Each point as the median of the ``window`` points centred on it (NaN where fewer than
    ``min_periods`` are finite)."""
    import pandas as pd

    return pd.Series(y).rolling(window, center=True, min_periods=min_periods).median().to_numpy()


def _abs_residuals(y: np.ndarray, med: np.ndarray | None = None) -> np.ndarray:
    """``|y - m|`` per point, ``m`` the centred rolling median (``med`` when already
    computed); NaN where incomplete."""
    if len(y) < NOISE_WINDOW:
        return np.full(len(y), np.nan)
    return np.abs(y - (centred_median(y, NOISE_WINDOW, NOISE_WINDOW) if med is None else med))


def _quantum(y: np.ndarray) -> float:
    """The log's rounding step: the smallest difference between two distinct finite values
    (tiny for unrounded floats)."""
    u = np.unique(y[np.isfinite(y)])
    d = np.diff(u)
    d = d[d > 0]
    return float(d.min()) if len(d) else 0.0


def _residuals(y: np.ndarray, quantum: float = 0.0,
               med: np.ndarray | None = None) -> np.ndarray:
    """``|log(y / m)|`` per point, ``m`` the centred rolling median; NaN where incomplete, not
    positive, or within ``ROUNDED_LEVEL`` rounding steps of zero."""
    if len(y) < NOISE_WINDOW:
        return np.full(len(y), np.nan)
    if med is None:
        med = centred_median(y, NOISE_WINDOW, NOISE_WINDOW)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.abs(np.log(y / med))
    out[~((med > ROUNDED_LEVEL * quantum) & (med > 0) & (y > 0))] = np.nan
    return out


def _clears_noise(y: np.ndarray, i: int, level: float, ratio: float, k: float,
                  pool: np.ndarray | None, *, tail: bool = True) -> bool:
    """Whether the rise at ``i`` clears the noise read from ``pool`` (the relative distances
    of the earlier points from their medians; None: unmeasured): ``k`` × its quantile, or a
    jump that holds; a lone point also ``TAIL_MULTIPLE`` × the largest (unless not ``tail``)."""
    noise = _quantile_noise(pool)
    if noise is None:
        return True
    rise = float(np.log(y[i] / level))
    if rise < k * noise:
        return _held(y, i, level, ratio, noise)
    lone = tail and _lone(y, i, level, rise)
    return not (lone and rise < TAIL_MULTIPLE * float(pool.max()))


def _lone(y: np.ndarray, i: int, level: float, rise: float) -> bool:
    """Whether the point after ``i`` is finite and back by more than half the log ``rise``
    above ``level``: the excursion is one point, one draw of the noise."""
    return i + 1 < len(y) and bool(np.isfinite(y[i + 1])) \
        and y[i + 1] <= level * float(np.exp(0.5 * rise))


def _held(y: np.ndarray, i: int, level: float, ratio: float, noise: float) -> bool:
    """Whether the ``SHIFT_POINTS`` points from ``i`` are all finite and each is ≥ ``ratio`` ×
    ``level`` with a log rise of ≥ ``SHIFT_MULTIPLE`` × ``noise``, widened by the noise's own
    correlation from one point to the next: a jump that holds, whose evidence adds up over
    those points only as far as their noise is independent (a noise that wanders, as a PINN's
    does, puts several points in a row up more often). Or a jump that holds long (``_shifted``).
    """
    rho = _lag1(y[max(i - NOISE_RECENT, 0):i])
    widen = float(np.sqrt((1 + rho) / (1 - rho)))
    if _shifted(y, i, ratio, noise, widen):
        return True
    part = y[i:i + SHIFT_POINTS]
    if len(part) < SHIFT_POINTS or not np.isfinite(part).all():
        return False
    low = float(part.min())
    if low < ratio * level:
        return False
    return np.log(low / level) >= SHIFT_MULTIPLE * noise * widen


def _shifted(y: np.ndarray, i: int, ratio: float, noise: float, widen: float) -> bool:
    """Whether the median of the ``SHIFT_LONG`` finite points from ``i`` is ≥ ``ratio`` × the
    median of the ``SHIFT_LONG`` before it, by ≥ ``SHIFT_LONG_ERRORS`` standard errors of the
    two medians: 1.25 (a median's error over a mean's) × σ × √(2 / ``SHIFT_LONG``) × ``widen``
    (correlated noise), with σ taken as ``noise`` / 0.6745. That is conservative: ``noise``,
    a 75% quantile of absolute distances, is about 1.15 σ of Gaussian noise (0.6745 σ is the
    median's), so the bound is about 1.7× what σ = ``noise`` / 1.15 would give. A level that
    jumped and stays there (a run that relearns slowly from a higher loss) shows in no three
    points of a noisy per-step log, but in twenty."""
    levels = _shift_levels(y, i)
    if levels is None:
        return False
    a, b = levels
    if a < ratio * b or _head_median(y, i) < ratio * b:
        return False
    error = 1.25 * noise / 0.6745 * np.sqrt(2 / SHIFT_LONG) * widen
    return np.log(a / b) >= SHIFT_LONG_ERRORS * error


def _head_median(y: np.ndarray, i: int) -> float:
    """The median of the ``LEVEL_POINTS`` finite points from ``i`` (a level that moved there
    has moved at its first points already; an outlier a few points before a jump has not)."""
    head = y[i:i + 4 * LEVEL_POINTS]
    return float(np.median(head[np.isfinite(head)][:LEVEL_POINTS]))


def _shift_levels(y: np.ndarray, i: int) -> tuple[float, float] | None:
    """(median of the ``SHIFT_LONG`` finite points from ``i``, median of the ``SHIFT_LONG``
    before it), or None when either side has fewer or the level before is not positive."""
    after, before = y[i:i + 4 * SHIFT_LONG], y[max(i - 4 * SHIFT_LONG, 0):i]
    after = after[np.isfinite(after)][:SHIFT_LONG]
    before = before[np.isfinite(before)][-SHIFT_LONG:]
    if len(after) < SHIFT_LONG or len(before) < SHIFT_LONG:
        return None
    b = float(np.median(before))
    return (float(np.median(after)), b) if b > 0 else None


def _lag1(y: np.ndarray) -> float:
    """The correlation of consecutive log distances from the centred median of
    ``CORRELATION_WINDOW`` points (wider than the noise's: a 5-point median follows a noise
    that wanders and hides its correlation); 0 when negative or unmeasured, at most
    ``SHIFT_MAX_CORRELATION``."""
    y = y[np.isfinite(y) & (y > 0)]
    if len(y) < 2 * CORRELATION_WINDOW:
        return 0.0
    r = np.log(y) - np.log(centred_median(y, CORRELATION_WINDOW))
    a, b = r[:-1], r[1:]
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.clip(np.corrcoef(a, b)[0, 1], 0.0, SHIFT_MAX_CORRELATION))


def _noise(resid: np.ndarray, i: int, end: int | None,
           recent: int = NOISE_RECENT) -> float | None:
    """``NOISE_QUANTILE`` of the last ``recent`` residuals wholly before position ``i`` (see
    ``_pool``); None when fewer than ``NOISE_MIN_RESIDUALS`` exist."""
    return _quantile_noise(_pool(resid, i, end, recent))


def _pool(resid: np.ndarray, i: int, end: int | None,
          recent: int = NOISE_RECENT) -> np.ndarray | None:
    """The last ``recent`` finite residuals wholly before position ``i``.

    With fewer than ``NOISE_PREFIX_RESIDUALS`` of those (a spike early in the curve), the
    residuals whose windows lie wholly outside the episode ``[i, end)`` are used, after it too;
    None when fewer than ``NOISE_MIN_RESIDUALS`` exist.
    """
    half = NOISE_WINDOW // 2
    stop = max(i - half, 0)
    before = resid[max(stop - recent, 0):stop]
    before = before[np.isfinite(before)]
    if len(before) < NOISE_PREFIX_RESIDUALS and end is not None:
        after = resid[end + half:end + half + recent]
        before = np.concatenate([before, after[np.isfinite(after)]])
    return before if len(before) >= NOISE_MIN_RESIDUALS else None


def _quantile_noise(before: np.ndarray | None) -> float | None:
    """The noise of a pool of residuals: its ``NOISE_QUANTILE`` quantile, or that of its
    last ``NOISE_LOCAL`` if larger (None for no pool)."""
    if before is None:
        return None
    q = float(np.quantile(before, NOISE_QUANTILE))
    if len(before) < NOISE_LOCAL:
        return q
    return max(q, float(np.quantile(before[-NOISE_LOCAL:], NOISE_QUANTILE)))


def _mark_open(s: Spike, n: int) -> Spike:
    """Flag an unrecovered spike with fewer than ``OPEN_END_POINTS`` points after its onset."""
    return replace(s, open_at_end=not s.recovered and n - 1 - s.onset < OPEN_END_POINTS)


def _argmax_finite(seg: np.ndarray) -> int:
    return int(np.argmax(np.where(np.isfinite(seg), seg, -np.inf)))
