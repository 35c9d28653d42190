"""How late the logged learning rate reacted to a spike, and overfitting."""

from __future__ import annotations

import numpy as np

from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve

OVERFIT_RISE = 0.10
OVERFIT_MIN_POINTS = 3
OVERFIT_TRAIN_FALL = 0.03
TRAIN_LEVEL_POINTS = 5
OVERFIT_FLOOR_SHARE = 0.05
OVERFIT_FLOOR_NOISE = 2.0


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
        f"the learning rate first went down at {lr.name_x(first_drop)}, "
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


def overfitting(train: Curve | None, val: Curve | None,
                others: tuple[Curve, ...] = ()) -> Finding | None:
    """A validation loss that rose ``OVERFIT_RISE`` above its best while the model still
    improved elsewhere: the training loss fell, or another evaluation set did not rise.

    The end is the median of the last ``OVERFIT_MIN_POINTS`` points (or the last tenth, if
    more), the best the lowest median of as many consecutive points (like with like: on a
    noisy floor the lowest of many medians of 3 is where the noise dipped, not a level the loss
    held); the training loss is read as the median of its logged points up to each.
    """
    rise = _rise(val)
    if rise is None:
        return None
    best, low, end = rise
    half = _end_points(len(val)) // 2  # the lowest logged value of the best level's points
    bottom = float(np.min(val.y[max(best - half, 0):best + half + 1]))
    turn = _turn(val, best, bottom + max(OVERFIT_FLOOR_SHARE * (end - bottom),
                                         OVERFIT_FLOOR_NOISE * _scatter(val.y)))
    x_best = float(val.x[best])
    t_best = _train_at(train, x_best) if train is not None else None
    t_last = _train_at(train, float(val.x[-1])) if train is not None else None
    fell = t_best is not None and t_last is not None \
        and t_last <= t_best * (1 - OVERFIT_TRAIN_FALL)
    steady = next((o for o in others if o is not val and _steady(o, x_best)), None)
    if not fell and steady is None:
        return None
    name = "validation loss" if val.metric == "val/loss" else f"{val.metric}"
    why = "training loss kept falling" if fell else f"{steady.metric} did not rise"
    return Finding(
        kind="overfitting",
        severity="warning",
        title=f"{name} rose after {val.label(turn)} while {why}",
        metric=val.metric,
        start=float(val.x[turn]),
        end=float(val.x[-1]),
        evidence={
            "val_best": low,
            "val_best_at": x_best,
            "rise_from": float(val.x[turn]),
            "val_last": float(val.y[-1]),
            "val_end": end,
            "train_at_val_best": t_best,
            "train_last": t_last,
            "train_fell": fell,
            "steady_eval": None if fell or steady is None else steady.metric,
        },
        criterion=(
            f"the median of the last {OVERFIT_MIN_POINTS} points (or last tenth) of a "
            f"validation loss ≥ {1 + OVERFIT_RISE:g}× its lowest level (the lowest median of as "
            "many consecutive points), "
            f"while the training loss (median of its {TRAIN_LEVEL_POINTS} logged points up to "
            f"each) fell ≥ {OVERFIT_TRAIN_FALL:.0%} since that point, or another evaluation "
            f"set's end stayed below {1 + OVERFIT_RISE / 2:g}× its level there; the rise starts "
            f"where the loss left its floor: the last logged point within "
            f"{OVERFIT_FLOOR_SHARE:.0%} of the rise, or {OVERFIT_FLOOR_NOISE:g}× the curve's "
            "scatter about its median of 3 if larger, above the lowest logged value; checked "
            "on every evaluation set, also when the run has a spike"
        ),
    )


def _rise(val: Curve | None) -> tuple[int, float, float] | None:
    """(position of the best, best level, end level) when ``val`` rose ``OVERFIT_RISE``
    above its best, else None; both levels are medians of ``_end_points`` points."""
    if val is None or len(val) < OVERFIT_MIN_POINTS + 2 or not np.isfinite(val.y).all():
        return None
    from reporter.diagnose.spikes import centred_median

    v = val.y
    width = _end_points(len(v))
    smooth = centred_median(v, width)
    best = int(np.argmin(smooth))
    end = float(np.median(v[-width:]))
    if len(v) - 1 - best < OVERFIT_MIN_POINTS or end < smooth[best] * (1 + OVERFIT_RISE):
        return None
    return best, float(smooth[best]), end


def _turn(val: Curve, best: int, floor: float) -> int:
    """The last logged point from ``best`` on, before the end's points, at or below ``floor``:
    where the loss left its lowest level (on a flat floor the lowest point is where the noise
    put it, not where the rise began)."""
    v = val.y
    stop = max(len(v) - _end_points(len(v)), best + 1)
    near = np.flatnonzero(v[best:stop] <= floor)
    return best + (int(near[-1]) if len(near) else 0)


def _end_points(n: int) -> int:
    """How many last points of an ``n``-point evaluation curve its end level is read from."""
    return max(OVERFIT_MIN_POINTS, n // 10)


def _median3(v: np.ndarray) -> np.ndarray:
    """Each point as the median of itself and its two neighbours (of two at the ends)."""
    from reporter.diagnose.spikes import centred_median

    return centred_median(v, 3)


def _scatter(v: np.ndarray) -> float:
    """The points' scatter about their median of 3: 1.4826 × the median absolute distance
    (0 for a curve without noise). Not σ: a third of the distances to a median of 3 are 0,
    so on Gaussian noise it comes out near half of σ."""
    return 1.4826 * float(np.median(np.abs(v - _median3(v))))


def _steady(other: Curve, x: float) -> bool:
    """``other`` (an evaluation set) ended below ``1 + OVERFIT_RISE / 2`` times its level at
    ``x`` (median of 3 around the point nearest at or before it)."""
    y = other.y
    if len(y) < OVERFIT_MIN_POINTS + 2 or not np.isfinite(y).all():
        return False
    idx = np.nonzero(other.x <= x)[0]
    if not len(idx):
        return False
    i = int(idx[-1])
    there = float(np.median(y[max(i - 1, 0):i + 2]))
    end = float(np.median(y[-_end_points(len(y)):]))
    return end < there * (1 + OVERFIT_RISE / 2)


def _train_at(train: Curve, x: float) -> float | None:
    """The median of the last ``TRAIN_LEVEL_POINTS`` finite training losses at or before ``x``."""
    ok = np.isfinite(train.y) & (train.x <= x)
    idx = np.nonzero(ok)[0]
    return float(np.median(train.y[idx[-TRAIN_LEVEL_POINTS:]])) if len(idx) else None


def _at(curve: Curve, x: float) -> float | None:
    hits = np.nonzero(curve.x == x)[0]
    return float(curve.y[hits[0]]) if len(hits) else None
