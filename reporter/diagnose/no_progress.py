"""No progress: the loss did not go down over the run.

A run whose loss ends where it started has not learned, whatever its curve looks like; no
spike or collapse detector fires on it, because nothing went wrong *after* a good phase.
"""

from __future__ import annotations

import numpy as np

from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve
from reporter.report.filters import fmt_number

MIN_POINTS = 10
MIN_DECREASE = 0.05
TAIL_FRACTION = 0.1
TAIL_MIN_POINTS = 3
CRITERION = (
    f"over ≥{MIN_POINTS} logged points, the median of the last {TAIL_FRACTION:.0%} of them "
    f"(at least {TAIL_MIN_POINTS}) is less than {MIN_DECREASE:.0%} below the first logged "
    "value (a rise counts too; a run that first fell and then spiked, collapsed or diverged "
    "is reported by those detectors instead)"
)
CAVEAT = (
    "A loss that does not go down usually means the learning rate is too low (the weights "
    "barely move) or too high (every step overshoots), a bug in the loss or the labels (a "
    "target that does not match the output, a detached graph, a frozen model), or a model "
    "that cannot learn this task. Try a short run with a learning rate 10× higher and 10× "
    "lower, and check that the loss falls when training on a handful of examples."
)


def find_no_progress(curve: Curve) -> Finding | None:
    """A warning when the last points of ``curve`` are not clearly below its first value."""
    y = curve.y
    finite = np.isfinite(y)
    n = int(finite.sum())
    if n < MIN_POINTS:
        return None
    values = y[finite]
    first = float(values[0])
    k = max(TAIL_MIN_POINTS, int(TAIL_FRACTION * n))
    tail = float(np.median(values[-k:]))
    limit = first - MIN_DECREASE * abs(first)
    lowest = float(values.min())
    if tail < limit:
        return None
    change = (tail - first) / abs(first) if first else 0.0
    where = np.nonzero(finite)[0]
    return Finding(
        kind="no_progress",
        severity="warning",
        title=f"{curve.metric} did not go down over {n} logged {curve.axis}s "
        f"({fmt_number(first)} → {fmt_number(tail)})",
        metric=curve.metric,
        start=float(curve.x[where[0]]),
        end=float(curve.x[where[-1]]),
        evidence={
            "first_value": first,
            "first_at": float(curve.x[where[0]]),
            "last_value": float(values[-1]),
            "last_at": float(curve.x[where[-1]]),
            "tail_median": tail,
            "tail_points": k,
            "relative_change": change,
            "lowest": lowest,
            "lowest_at": float(curve.x[where[int(np.argmin(values))]]),
            "points": n,
            "axis": curve.axis,
        },
        criterion=CRITERION,
        caveats=(CAVEAT,),
    )
