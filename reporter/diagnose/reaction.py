"""How late the logged learning rate reacted to a spike, and overfitting."""

from __future__ import annotations

import numpy as np

from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve

OVERFIT_RISE = 0.10
OVERFIT_MIN_POINTS = 3


def slow_reaction(spike: Finding, lr: Curve | None, last_x: float) -> Finding | None:
    """Compare the spike's onset with the first logged LR reduction at or after the best point.

    Returns a warning when the LR had not gone down by the onset of the spike.
    """
    if lr is None or len(lr) < 2:
        return None
    onset = spike.evidence["onset"]
    best_at = spike.evidence["best_at"]
    y = lr.y
    drops = [i for i in range(1, len(y)) if np.isfinite(y[i]) and y[i] < y[i - 1] * (1 - 1e-9)]
    before = [i for i in drops if lr.x[i] <= onset]
    if before and lr.x[before[-1]] >= best_at:
        return None
    after = [i for i in drops if lr.x[i] > onset]
    first_drop = float(lr.x[after[0]]) if after else None
    late = (first_drop - onset) if first_drop is not None else None
    title = (
        f"the learning rate first went down at {lr.axis} {first_drop:g}, "
        f"{late:g} {lr.axis}s after the spike began"
        if first_drop is not None
        else "the learning rate never went down after the spike"
    )
    return Finding(
        kind="slow_reaction",
        severity="warning",
        title=title,
        metric="lr",
        start=onset,
        end=first_drop,
        evidence={
            "spike_onset": onset,
            "best_at": best_at,
            "first_reduction": first_drop,
            "lag": late,
            "lr_at_onset": _at(lr, onset),
            "last_logged": last_x,
        },
        criterion="first decrease of the logged LR after the spike's onset",
    )


def overfitting(train: Curve | None, val: Curve | None) -> Finding | None:
    """Validation loss rising ≥10 % above its best for ≥3 points while training loss falls."""
    if train is None or val is None or len(val) < OVERFIT_MIN_POINTS + 2:
        return None
    v = val.y
    if not np.isfinite(v).all():
        return None
    best = int(np.argmin(v))
    tail = v[best + 1:]
    if len(tail) < OVERFIT_MIN_POINTS or tail[-OVERFIT_MIN_POINTS:].min() < v[best] * (
        1 + OVERFIT_RISE
    ):
        return None
    t = dict(zip(train.x.tolist(), train.y.tolist(), strict=False))
    t_best, t_last = t.get(val.x[best]), t.get(val.x[-1])
    if t_best is None or t_last is None or not t_last < t_best:
        return None
    return Finding(
        kind="overfitting",
        severity="warning",
        title=f"validation loss rose after {val.label(best)} while training loss kept falling",
        metric="val/loss",
        start=float(val.x[best]),
        end=float(val.x[-1]),
        evidence={
            "val_best": float(v[best]),
            "val_best_at": float(val.x[best]),
            "val_last": float(v[-1]),
            "train_at_val_best": t_best,
            "train_last": t_last,
        },
        criterion=(
            f"val loss ≥ {1 + OVERFIT_RISE:g}× its best for the last {OVERFIT_MIN_POINTS} points "
            "while train loss is lower than at the val best"
        ),
    )


def _at(curve: Curve, x: float) -> float | None:
    hits = np.nonzero(curve.x == x)[0]
    return float(curve.y[hits[0]]) if len(hits) else None
