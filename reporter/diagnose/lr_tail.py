"""A long flat tail at the minimum learning rate: steps or epochs that bought nothing
(issue 8, item 2, info).

A plateau scheduler with ``min_lr`` (or a step schedule at its last milestone) can leave a run
training for many epochs at its floor LR while the loss no longer moves. That is not an
instability, but it is compute to save: the finding is ``info``.
"""

from __future__ import annotations

import numpy as np

from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve
from reporter.report.filters import fmt_number

__all__ = ["TAIL_MIN_FRACTION", "TAIL_MIN_GAIN", "TAIL_MIN_POINTS", "find_flat_tail",
           "find_lr_floor_tail"]

TAIL_MIN_POINTS = 5  # logged loss points after the LR reached its floor
TAIL_MIN_FRACTION = 0.2  # of the loss curve's points
TAIL_MIN_GAIN = 0.01  # the tail's best improves the best before it by less than this
LR_SAME = 1e-6  # relative: two logged LRs this close are the same LR
CRITERION = (
    f"the logged LR sits at its lowest value from some point to the end, after being higher; "
    f"the loss logged after that point is ≥ {TAIL_MIN_POINTS} points and ≥ "
    f"{TAIL_MIN_FRACTION:.0%} of the curve, and its best is less than {TAIL_MIN_GAIN:.0%} "
    "below the best before that point"
)


def find_lr_floor_tail(lr: Curve | None, loss: Curve | None) -> Finding | None:
    """An info finding when the run's last stretch at its minimum LR did not improve ``loss``."""
    if lr is None or loss is None or lr.axis != loss.axis or len(lr) < 2:
        return None
    y = lr.y
    finite = np.isfinite(y)
    if finite.sum() < 2:
        return None
    floor, top = float(np.min(y[finite])), float(np.max(y[finite]))
    if not top > floor * (1 + LR_SAME) or not np.isfinite(y[-1]):
        return None
    at_floor = finite & (y <= floor * (1 + LR_SAME))
    k = len(y) - 1
    while k > 0 and at_floor[k - 1]:
        k -= 1
    if not at_floor[-1]:
        return None
    x0 = float(lr.x[k])
    ly = loss.y
    ok = np.isfinite(ly)
    before, after = ok & (loss.x < x0), ok & (loss.x >= x0)  # the LR logged at x0 was used there
    n_after = int(after.sum())
    if not before.any() or n_after < max(TAIL_MIN_POINTS, TAIL_MIN_FRACTION * int(ok.sum())):
        return None
    best_before, best_after = float(np.min(ly[before])), float(np.min(ly[after]))
    gain = (best_before - best_after) / best_before if best_before > 0 else 0.0
    if gain >= TAIL_MIN_GAIN:
        return None
    share = n_after / int(ok.sum())
    unit = f"{loss.axis}s"
    return Finding(
        kind="lr_floor_tail",
        severity="info",
        title=(f"the last {n_after} logged {unit} ({share:.0%} of the run) ran at the minimum "
               f"LR {fmt_number(floor)} (from {lr.name_x(x0)}), and {loss.metric} "
               f"improved by {max(gain, 0.0):.1%} over them (best {fmt_number(best_before)} "
               f"before, {fmt_number(best_after)} after): those {unit} bought almost nothing"),
        metric=loss.metric,
        start=x0,
        end=float(loss.x[-1]),
        evidence={"lr_floor": floor, "floor_from": x0, "tail_points": n_after,
                  "tail_share": share, "best_before": best_before, "best_after": best_after,
                  "gain": gain},
        criterion=CRITERION,
        caveats=("Early stopping with a patience of a few evaluations, or a schedule that "
                 "ends where this one reached its floor, would have saved them.",),
    )


FLAT_TAIL_MIN_FRACTION = 0.5  # of the loss curve's finite points
FLAT_TAIL_MIN_POINTS = 20
FLAT_CRITERION = (
    f"the longest stretch at the end of the curve whose best is less than {TAIL_MIN_GAIN:.0%} "
    f"below the best before it holds ≥ {FLAT_TAIL_MIN_FRACTION:.0%} of the curve's points and "
    f"≥ {FLAT_TAIL_MIN_POINTS} of them; read only when no other finding is on that curve and "
    "the LR was not at a floor there (the minimum-LR tail rule)"
)


def find_flat_tail(loss: Curve | None) -> Finding | None:
    """An info finding when the last half or more of ``loss`` improved it by under 1%.

    Whether that is convergence (compute to save) or a stall far above what the model can
    reach is not in one log: the finding says so and leaves the judgment to the reader.
    """
    if loss is None:
        return None
    ok = np.isfinite(loss.y)
    y, x = loss.y[ok], loss.x[ok]
    n = len(y)
    if n <= FLAT_TAIL_MIN_POINTS:
        return None
    best_before = np.minimum.accumulate(y)[:-1]  # best of y[:k], k = 1..n-1
    best_after = np.minimum.accumulate(y[::-1])[::-1][1:]  # best of y[k:]
    flat = best_after >= (1 - TAIL_MIN_GAIN) * best_before
    if not flat.any() or not (best_before > 0).all():
        return None
    k = int(np.argmax(flat)) + 1  # the first point of the flat stretch
    tail = n - k
    if tail < max(FLAT_TAIL_MIN_POINTS, FLAT_TAIL_MIN_FRACTION * n):
        return None
    before, after = float(best_before[k - 1]), float(best_after[k - 1])
    gain = (before - after) / before
    unit = f"{loss.axis}s"
    return Finding(
        kind="flat_tail",
        severity="info",
        title=(f"the last {tail} logged {unit} ({tail / n:.0%} of the run, from "
               f"{loss.name_x(float(x[k]))}) improved {loss.metric} by {max(gain, 0.0):.1%} "
               f"(best {fmt_number(before)} before, {fmt_number(after)} after): the run had "
               "stopped improving"),
        metric=loss.metric,
        start=float(x[k]),
        end=float(x[-1]),
        evidence={"flat_from": float(x[k]), "tail_points": tail, "tail_share": tail / n,
                  "best_before": before, "best_after": after, "gain": gain},
        criterion=FLAT_CRITERION,
        caveats=("Converged, or stalled far above what the model can reach: one log cannot "
                 "tell; compare with runs of the same model that reached lower. If it had "
                 f"converged, early stopping would have saved these {unit}.",),
    )
