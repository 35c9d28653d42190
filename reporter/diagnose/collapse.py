"""Collapse to a trivial plateau: the loss goes back to (or above) where it started, stays flat.

For a regression with MSE, a model that predicts a constant scores the target's variance,
which is close to an untrained model's first-epoch loss; no learning-rate schedule repairs
that state, because the gradients that would lead out of it are small.
"""

from __future__ import annotations

import numpy as np

from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve

MIN_FLAT_POINTS = 4
MIN_FLAT_FRACTION = 0.05
FLAT_SPREAD = 0.10
SMOOTH_POINTS = 5
MIN_RATIO_TO_FIRST = 0.6
MAX_BEST_TO_LEVEL = 0.5
CRITERION = (
    f"the last ≥{MIN_FLAT_POINTS} points (and ≥ {MIN_FLAT_FRACTION:.0%} of the curve) stay "
    f"within ±{FLAT_SPREAD / 2:.0%} of their median (each point as the median of the "
    f"{SMOOTH_POINTS} around it, so per-step noise does not break the band) and that level is "
    f"at least {MIN_RATIO_TO_FIRST:g}× the first logged value (back at or above where training "
    f"started), after the loss had been at most {MAX_BEST_TO_LEVEL:g}× that level; checked "
    "after the last spike, or over the whole curve when there is none; the climb to it (from "
    "the last point at or below halfway between the best value and the plateau to the last "
    "point below the plateau's band) is no longer than the plateau itself (a loss that "
    "climbs for longer than it stays flat is rising slowly, not collapsed)"
)


def find_collapse(curve: Curve, *, start: int | None = None) -> Finding | None:
    """A critical finding when the tail of ``curve`` is a flat plateau at or above its start.

    ``start`` (a 0-based position, e.g. a spike's peak) restricts where the plateau may begin;
    by default the longest flat tail is used.
    """
    y = curve.y
    finite = np.isfinite(y)
    need = max(MIN_FLAT_POINTS, int(MIN_FLAT_FRACTION * len(y)))
    if finite.sum() < need + 2 or not finite[-MIN_FLAT_POINTS:].all():
        return None
    first = float(y[np.argmax(finite)])
    begin = _flat_tail_start(y, start or 0, need)
    if begin is None or begin == 0:
        return None
    tail = y[begin:]
    level = float(np.median(tail))
    best = float(np.nanmin(np.where(finite[:begin], y[:begin], np.nan))) if begin else level
    ratio = level / first if first else float("inf")
    if ratio < MIN_RATIO_TO_FIRST or best > MAX_BEST_TO_LEVEL * level:
        return None
    climb = _climb(y, begin, (best + level) / 2, level * (1 - FLAT_SPREAD / 2))
    if climb > len(y) - begin:
        return None  # it climbed for longer than it stayed flat: a slow rise, not a collapse
    return Finding(
        kind="collapse",
        severity="critical",
        title=f"{curve.metric} went back to {_where(ratio, curve.axis)} and stayed flat",
        metric=curve.metric,
        start=float(curve.x[begin]),
        end=float(curve.x[-1]),
        evidence={
            "plateau_level": level,
            "plateau_points": len(tail),
            "plateau_spread": _spread(tail, level),
            "first_value": first,
            "ratio_to_first": ratio,
            "best_before": best,
            "climb_points": climb,
        },
        criterion=CRITERION,
        caveats=(
            "A flat loss at or above the level where training started is what a constant "
            "prediction gives (for an MSE regression, the variance of the target). Check the "
            "model's outputs on a few inputs: if they no longer vary, the model has collapsed "
            "and no change of learning-rate schedule brings it back; restart from the best "
            "checkpoint.",
        ),
    )


def _where(ratio: float, axis: str) -> str:
    level = f"its first-{axis} level"
    return level if ratio < 1.5 else f"{ratio:.3g}× {level}"


def _spread(tail: np.ndarray, level: float) -> float:
    """The plateau's 5-95 % range over its level."""
    if not level:
        return 0.0
    lo, hi = np.quantile(tail, [0.05, 0.95])
    return float((hi - lo) / level)


def _climb(y: np.ndarray, begin: int, half: float, below: float) -> int:
    """Points from the last one before ``begin`` at or below ``half`` to the last one before
    ``begin`` below ``below`` (each as the median of its ``SMOOTH_POINTS`` neighbours): how
    long the loss took to climb from halfway to the plateau's band; 0 when it jumped."""
    from reporter.diagnose.spikes import centred_median

    med = centred_median(y[:begin], SMOOTH_POINTS)
    under = np.flatnonzero(med <= half)
    if not len(under):
        return 0
    rising = np.flatnonzero(med[under[-1]:] < below)
    return int(rising[-1]) if len(rising) else 0


def _flat_tail_start(y: np.ndarray, earliest: int, need: int) -> int | None:
    """Earliest position ≥ ``earliest`` from which every point (as the median of its
    ``SMOOTH_POINTS`` neighbours) stays within the flat band around the tail's median; None
    when fewer than ``need`` points do."""
    from reporter.diagnose.spikes import centred_median

    n = len(y)
    level = float(np.median(y[n - need:]))
    if not np.isfinite(level) or level <= 0:
        return None
    med = centred_median(y, SMOOTH_POINTS)
    out = ~np.isfinite(y) | ~(np.abs(med / level - 1.0) <= FLAT_SPREAD / 2)
    outside = np.nonzero(out)[0]
    begin = int(outside[-1]) + 1 if len(outside) else 0
    begin = max(begin, max(earliest, 0))
    return begin if n - begin >= need else None
