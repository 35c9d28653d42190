"""Exact replay of torch ``ReduceLROnPlateau`` over a recorded metric series.

torch 2.13 ``ReduceLROnPlateau.step(metrics)`` (``torch/optim/lr_scheduler.py``)::

    current = float(metrics)
    if is_better(current, best): best = current; num_bad = 0
    else: num_bad += 1
    if cooldown_counter > 0: cooldown_counter -= 1; num_bad = 0
    if num_bad > patience:
        new = max(old * factor, min_lr); if old - new > eps: lr = new
        cooldown_counter = cooldown; num_bad = 0

The replay below repeats it in float64, operation for operation.
"""

from __future__ import annotations

import math

import numpy as np

from replay._registry import Replayer, register
from replay.torch_schedulers import ReduceLROnPlateau
from replay.types import Event


def is_better_fn(spec: ReduceLROnPlateau):
    """torch ``_is_better`` as a function ``(a, best) -> bool`` (works on arrays too)."""
    thr = spec.threshold
    if spec.mode == "min" and spec.threshold_mode == "rel":
        rel = 1.0 - thr
        return lambda a, best: a < best * rel
    if spec.mode == "min":
        return lambda a, best: a < best - thr
    if spec.threshold_mode == "rel":
        rel = thr + 1.0
        return lambda a, best: a > best * rel
    return lambda a, best: a > best + thr


def plateau_states(spec: ReduceLROnPlateau, base_lr: float, metrics) -> tuple[list, list]:
    """Step torch's state machine over every metric; return (lr after each step, events).

    ``lrs[k]`` is the LR after ``step(metrics[k])``, i.e. the LR of epoch ``k + 1``.
    """
    better = is_better_fn(spec)
    best = math.inf if spec.mode == "min" else -math.inf
    best_at = -1
    num_bad = 0
    cooldown_counter = 0
    lr = float(base_lr)
    lrs: list[float] = []
    events: list[Event] = []
    for k, current in enumerate(metrics):
        current = float(current)
        if better(current, best):
            best, best_at, num_bad = current, k, 0
        else:
            num_bad += 1
        if cooldown_counter > 0:
            cooldown_counter -= 1
            num_bad = 0
        if num_bad > spec.patience:
            new = max(lr * spec.factor, spec.min_lr)
            if lr - new > spec.eps:
                reason = (
                    f"no improvement beyond threshold since epoch {best_at} "
                    f"(best {best:.6g}) for {num_bad} epochs > patience {spec.patience}"
                )
                events.append(
                    Event(index=k, kind="reduce", before=lr, after=float(new), reason=reason)
                )
                lr = float(new)
            cooldown_counter = spec.cooldown
            num_bad = 0
        lrs.append(lr)
    return lrs, events


def _plateau_run(spec: ReduceLROnPlateau, base_lr, n, metrics):
    if n <= 0:
        return np.empty(0, dtype=np.float64), ()
    lrs, events = plateau_states(spec, base_lr, np.asarray(metrics, dtype=np.float64)[: n - 1])
    lr = np.empty(n, dtype=np.float64)
    lr[0] = float(base_lr)
    lr[1:] = lrs
    return lr, tuple(events)


register(ReduceLROnPlateau, Replayer(run=_plateau_run, metric_driven=True))
