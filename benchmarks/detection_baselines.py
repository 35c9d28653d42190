"""The baselines ``benchmarks/detection.py`` scores beside our detector, and our detector's alarms.

Each baseline reads every loss series of a run (a metric whose name contains ``loss``) and the
grad norm, point by point as a live check would, and fires on a point that breaks its rule or
is NaN/±inf (every live guard checks that). Consecutive firing points are one alarm, placed at
the first of them.

- ``z3`` / ``z5``: rolling z-score, ``(x - mean) / std > k`` over the previous 30 finite points
  (a W&B alert's window; at least 10 points; a zero std fires on any rise);
- ``2x mean``: ``x ≥ 2 ×`` the mean of the previous 100 finite points (at least 10; the live
  rule of llm-foundry's ``KillLossSpike``, without its 5-in-a-row patience);
- ``fixed``: ``x >`` the first logged value of the series (a fixed threshold set at the
  untrained level: "the loss went above where it started").
"""

from __future__ import annotations

import numpy as np
from detection_scoring import Alarm, Axes

Z_WINDOW, Z_MIN = 30, 10
MEAN_WINDOW, MEAN_MIN, MEAN_RATIO = 100, 10, 2.0
ALARM_SEVERITIES = ("warning", "critical")


def watched(metric: str) -> bool:
    """The series a baseline reads: every loss and the grad norm."""
    return "loss" in metric.lower() or metric == "grad_norm"


def _finite_history(y: np.ndarray):
    import pandas as pd

    return pd.Series(np.where(np.isfinite(y), y, np.nan)).shift(1)


def rolling_zscore(y: np.ndarray, k: float) -> np.ndarray:
    """Mask of points more than ``k`` standard deviations above the previous window's mean."""
    prev = _finite_history(y).rolling(Z_WINDOW, min_periods=Z_MIN)
    mean, std = prev.mean().to_numpy(), prev.std(ddof=0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(std > 0, (y - mean) / std, np.where(y > mean, np.inf, 0.0))
    return ~np.isfinite(y) | (np.isfinite(mean) & (z > k))


def running_mean_ratio(y: np.ndarray, ratio: float = MEAN_RATIO) -> np.ndarray:
    """Mask of points at least ``ratio`` × the mean of the previous ``MEAN_WINDOW`` points."""
    mean = _finite_history(y).rolling(MEAN_WINDOW, min_periods=MEAN_MIN).mean().to_numpy()
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(y) | (np.isfinite(mean) & (y >= ratio * mean))


def fixed_threshold(y: np.ndarray) -> np.ndarray:
    """Mask of points above the series' first finite value."""
    finite = np.isfinite(y)
    if not finite.any():
        return ~finite
    with np.errstate(invalid="ignore"):
        return ~finite | (y > y[np.argmax(finite)])


BASELINES = {
    "z3": lambda y: rolling_zscore(y, 3.0),
    "z5": lambda y: rolling_zscore(y, 5.0),
    "2x mean": running_mean_ratio,
    "fixed": fixed_threshold,
}

#: the live guards of ``reporter.diagnose.guards``, each on the training loss only (what the
#: callbacks read), with their published rules and defaults
GUARD_NAMES = {
    "lightning": "Lightning SpikeDetection",
    "foundry": "llm-foundry KillLossSpike",
    "olmo": "OLMo-core skip step",
    "wandb": "W&B z-score alert",
    "megatron": "Megatron-LM loss checks",
}


def _guard_rules() -> dict:
    from reporter.diagnose.guards import GUARDS

    by_name = {g.name: g.fires for g in GUARDS}
    return {short: by_name[name] for short, name in GUARD_NAMES.items()}


GUARD_RULES = _guard_rules()


def training_loss(metric: str) -> bool:
    """The series a live guard reads: the training loss (not validation, test or parts)."""
    m = metric.lower()
    return m in ("train/loss", "loss", "train_loss") or (m.startswith("train/") and m.endswith(
        "/loss"))


def episodes(mask: np.ndarray) -> np.ndarray:
    """Positions where a run of consecutive True values starts."""
    mask = np.asarray(mask, dtype=bool)
    return np.nonzero(mask & ~np.r_[False, mask[:-1]])[0]


def baseline_alarms(run, rule, reads=watched) -> list[Alarm]:
    """The alarms of one baseline ``rule`` (a function of a series → mask) over a ``Run``, on
    the series ``reads`` accepts."""
    alarms = []
    for metric in run.metrics:
        if reads(metric):
            y = run.series(metric)["value"].to_numpy(dtype=float)
            alarms += [Alarm(metric, int(p)) for p in episodes(rule(y))]
    return alarms


def our_alarms(run, axes: Axes, leads: list[int] | None = None) -> list[Alarm]:
    """Our findings at warning or above, each placed at its start, on the run as ``analyze``
    sees it: after the pipeline's loss choice (a GAN's generator loss, an aggregate
    ``mean_loss`` analysed as the training loss), with each finding mapped back to the metric
    name the labels use.

    A finding's start is read on the axis of the curve the detector used (``epoch`` places it
    at the last point of that epoch, the point a per-epoch view keeps).
    """
    from dataclasses import replace

    from reporter.analysis.loss_choice import choose_loss
    from reporter.diagnose import diagnose

    # choose_loss renames in a copy of the scalars; notes and meta are copied here
    chosen = replace(run, notes=list(run.notes), meta=dict(run.meta))
    choose_loss(chosen)
    origin = _origins(run, chosen)
    found = diagnose(chosen)
    if leads is not None:
        from reporter.diagnose.early_warning import early_warnings

        leads.extend(w.lead_points for w in early_warnings(found))
    alarms = []
    for f in found.findings:
        metric = origin.get(f.metric, f.metric)
        if f.severity not in ALARM_SEVERITIES or f.start is None or metric not in axes:
            continue
        curve = found.curves.get(f.metric)
        axis = curve.axis if curve is not None else f.evidence.get("axis", "step")
        alarms.append(Alarm(metric, axes.position(metric, float(f.start), axis), f.kind))
    return alarms


def _origins(before, after) -> dict[str, str]:
    """Metric name after the loss choice -> its name before, for the series it renamed."""
    def values(run, metric: str) -> np.ndarray:
        return run.series(metric)["value"].to_numpy(dtype=float)

    out = {}
    for metric in after.metrics:
        mine = values(after, metric)
        if metric in before.metrics and np.array_equal(values(before, metric), mine,
                                                      equal_nan=True):
            continue
        source = next((m for m in before.metrics if m != metric and np.array_equal(
            values(before, m), mine, equal_nan=True)), None)
        if source is not None:
            out[metric] = source
    return out
