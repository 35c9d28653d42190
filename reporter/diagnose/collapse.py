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
FLAT_SPREAD = 0.10
MIN_RATIO_TO_FIRST = 0.6
CRITERION = (
    f"the last ≥{MIN_FLAT_POINTS} points stay within ±{FLAT_SPREAD / 2:.0%} of their mean "
    f"and that mean is at least {MIN_RATIO_TO_FIRST:g}× the first logged value (back at or above "
    "where training started), after the loss had been well below it"
)


def find_collapse(curve: Curve, *, start: int | None = None) -> Finding | None:
    """A critical finding when the tail of ``curve`` is a flat plateau at or above its start.

    ``start`` (a 0-based position, e.g. a spike's peak) restricts where the plateau may begin;
    by default the longest flat tail is used.
    """
    y = curve.y
    finite = np.isfinite(y)
    if finite.sum() < MIN_FLAT_POINTS + 2 or not finite[-MIN_FLAT_POINTS:].all():
        return None
    first = float(y[np.argmax(finite)])
    begin = _flat_tail_start(y, start or 0)
    if begin is None:
        return None
    tail = y[begin:]
    level = float(np.mean(tail))
    best = float(np.nanmin(np.where(finite[:begin], y[:begin], np.nan))) if begin else level
    ratio = level / first if first else float("inf")
    if ratio < MIN_RATIO_TO_FIRST or best > 0.5 * level:
        return None
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
            "plateau_spread": float((tail.max() - tail.min()) / level) if level else 0.0,
            "first_value": first,
            "ratio_to_first": ratio,
            "best_before": best,
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


def _flat_tail_start(y: np.ndarray, earliest: int) -> int | None:
    """Earliest position ≥ ``earliest`` from which every point stays within the flat band."""
    n = len(y)
    begin = None
    for b in range(n - MIN_FLAT_POINTS, max(earliest, 0) - 1, -1):
        tail = y[b:]
        if not np.isfinite(tail).all():
            break
        mean = tail.mean()
        if mean <= 0 or (tail.max() - tail.min()) / mean > FLAT_SPREAD:
            break
        begin = b
    return begin
