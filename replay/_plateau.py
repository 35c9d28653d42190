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
from collections.abc import Iterable
from typing import Protocol, SupportsFloat, TypeVar

import numpy as np

from replay._registry import Replayer, register
from replay.torch_schedulers import ReduceLROnPlateau
from replay.types import Event, FloatArray

#: a metric value or a run of them: bounds are taken of both.
_M = TypeVar("_M", float, FloatArray)


class _Bound(Protocol):
    """``best -> bound``, elementwise on arrays: ``op(a, bound(best))`` is torch's
    ``_is_better(a, best)``."""

    def __call__(self, best: _M, /) -> _M: ...


def plateau_states(
    spec: ReduceLROnPlateau, base_lr: float, metrics: Iterable[SupportsFloat]
) -> tuple[list[float], list[Event]]:
    """Step torch's state machine over every metric; return (lr after each step, events).

    ``lrs[k]`` is the LR after ``step(metrics[k])``, i.e. the LR of epoch ``k + 1``.
    """
    machine = _Machine(spec, base_lr)
    lrs = machine.step_each([float(v) for v in metrics], 0)
    return lrs, machine.changes


def _bound_fn(spec: ReduceLROnPlateau) -> tuple[_Bound, np.ufunc]:
    """``best -> bound`` and the comparison, so that ``op(a, bound(best))`` is torch's
    ``_is_better(a, best)`` with the same float64 operations."""
    thr = spec.threshold
    op: np.ufunc = np.less if spec.mode == "min" else np.greater
    if spec.threshold_mode == "rel":
        rel = 1.0 - thr if spec.mode == "min" else thr + 1.0

        def times_rel(best: _M) -> _M:
            return best * rel

        return times_rel, op
    if spec.mode == "min":

        def minus_thr(best: _M) -> _M:
            return best - thr

        return minus_thr, op

    def plus_thr(best: _M) -> _M:
        return best + thr

    return plus_thr, op


def _next_better(m: FloatArray, i: int, bound: float, op: np.ufunc) -> int:
    """First index >= i where ``op(m[idx], bound)``, else ``m.size`` (galloping chunks)."""
    k = 64
    n = m.size
    while i < n:
        hit = op(m[i : i + k], bound)
        if hit.any():
            return i + int(hit.argmax())
        i += k
        k = min(k * 2, 1 << 16)
    return n


class _Machine:
    """torch's ReduceLROnPlateau state, advanced by whole runs of bad or improving epochs."""

    def __init__(self, spec: ReduceLROnPlateau, base_lr: float) -> None:
        self.spec = spec
        self.best = math.inf if spec.mode == "min" else -math.inf
        self.best_at = -1
        self.num_bad = 0
        self.cooldown_counter = 0
        self.lr = float(base_lr)
        self.reduced_at: int | None = None  # the last reduction, even one eps/min_lr blocked
        self.changes: list[Event] = []

    def _reduce(self, k: int) -> None:
        """torch's reduction in the step after epoch ``k`` (an event only if the LR moves)."""
        spec = self.spec
        new = max(self.lr * spec.factor, spec.min_lr)
        if self.lr - new > spec.eps:
            self.changes.append(Event(k, "reduce", self.lr, float(new), self._reason(k)))
            self.lr = float(new)
        self.reduced_at = k

    def _reason(self, k: int) -> str:
        """Why torch reduces after epoch ``k``: the bad epochs it counted, and from where.

        torch resets ``num_bad_epochs`` on an improvement, at a reduction and on every epoch
        of the cooldown after one, and reduces once the count exceeds ``patience``; so a
        reduction after epoch ``k`` follows the bad epochs ``k - patience .. k``, counted
        from the last reset ``s = k - patience - 1``: the best value if it was set at ``s``,
        else the previous reduction (at ``s`` when there is no cooldown) or the last epoch of
        its cooldown (``s``); ``s = -1`` (the count ran from epoch 0) only before any best.
        """
        p, cooldown = self.spec.patience, self.spec.cooldown
        s = k - p - 1
        span = f"epoch {k}" if p == 0 else f"epochs {s + 1}-{k}"
        held = "no best yet"
        if self.best_at >= 0:
            held = f"best {self.best:.6g} at epoch {self.best_at}"
        last = self.reduced_at
        if s < 0:
            since = f"the start; {held}"
        elif self.best_at == s:
            since = f"the {held}"
        elif last is not None and s == last + cooldown:
            since = f"the reduction at epoch {last}"
            if cooldown:
                since = f"the end of the {cooldown}-epoch cooldown after {since}"
            since += f"; {held}"
        else:  # not reached: every reset is an improvement, a reduction or a cooldown's end
            since = f"epoch {s}; {held}"
        bad = f"{p + 1} bad epoch" + ("s" if p else "")
        return (
            f"no improvement beyond threshold in {span}: {bad} > patience {p}, "
            f"counted since {since}"
        )

    def step_each(self, values: list[float], start: int) -> list[float]:
        """torch's ``step(metric)`` for each value (epoch ``start`` on), literally; returns
        the LR after each step. ``bound(best)`` is recomputed only when ``best`` moves."""
        spec = self.spec
        bound, _ = _bound_fn(spec)
        is_min, patience, cooldown = spec.mode == "min", spec.patience, spec.cooldown
        best, num_bad, cooldown_counter = self.best, self.num_bad, self.cooldown_counter
        bnd = bound(best)
        lrs: list[float] = []
        append = lrs.append
        for k, current in enumerate(values, start):
            if (current < bnd) if is_min else (current > bnd):
                best, num_bad, self.best_at = current, 0, k
                bnd = bound(best)
            else:
                num_bad += 1
            if cooldown_counter > 0:
                cooldown_counter -= 1
                num_bad = 0
            if num_bad > patience:
                self.best = best
                self._reduce(k)
                cooldown_counter = cooldown
                num_bad = 0
            append(self.lr)
        self.best, self.num_bad, self.cooldown_counter = best, num_bad, cooldown_counter
        return lrs

    def bad_run(self, i: int, length: int) -> None:
        """Epochs ``i .. i+length-1``, none of them better than ``best``."""
        spec = self.spec
        period = spec.cooldown + spec.patience + 1
        if self.cooldown_counter > 0:
            first = self.cooldown_counter + spec.patience + 1
        else:
            first = spec.patience + 1 - self.num_bad
        if first > length:  # no reduction in this run
            if self.cooldown_counter >= length:
                self.cooldown_counter -= length
                self.num_bad = 0
            elif self.cooldown_counter > 0:
                self.num_bad = length - self.cooldown_counter
                self.cooldown_counter = 0
            else:
                self.num_bad += length
            return
        last = first + (length - first) // period * period
        r = first
        while r <= last:  # reductions at run positions first, first + period, ... (1-based)
            before = self.lr
            self._reduce(i + r - 1)
            if self.lr == before:
                break  # the LR is stuck: every later reduction computes the same
            r += period
        after = length - last
        if after <= spec.cooldown:
            self.cooldown_counter, self.num_bad = spec.cooldown - after, 0
        else:
            self.cooldown_counter, self.num_bad = 0, after - spec.cooldown

    def improving_run(self, j: int, e: int, best: float) -> None:
        """Epochs ``j .. e-1``, each better than the one before (the first better than best)."""
        self.best, self.best_at = best, e - 1
        self.num_bad = 0
        self.cooldown_counter = max(self.cooldown_counter - (e - j), 0)


def _improving_end(m: FloatArray, j: int, bound: _Bound, op: np.ufunc) -> int:
    """First index ``e > j`` with ``m[e]`` not better than ``m[e-1]`` (``m.size`` if none)."""
    n = m.size
    e = j + 1
    for _ in range(4):  # most runs are short: check a few epochs one by one
        if e >= n or not op(m[e], bound(m[e - 1])):
            return e
        e += 1
    k = 64
    while e < n:
        chain = op(m[e : e + k], bound(m[e - 1 : e - 1 + k][: n - e]))
        if not chain.all():
            return e + int(chain.argmin())
        e += k
        k = min(k * 2, 1 << 16)
    return n


def plateau_fast(
    spec: ReduceLROnPlateau, base_lr: float, m: FloatArray
) -> tuple[FloatArray, list[Event]]:
    """Same result as :func:`plateau_states`, advancing by runs instead of epochs.

    Between two improvements every epoch is bad, so the reductions fall at fixed offsets
    (``patience + 1`` after the count starts, then every ``cooldown + patience + 1``); in a
    run of consecutive improvements each epoch is better than the one before. Both kinds of
    run are found with vectorised, galloping searches, so the work grows with the number of
    runs, not epochs; when runs turn out short (under ~48 epochs on average) the rest is
    stepped epoch by epoch. Returns (lr after each step, events).
    """
    n = m.size
    bound, op = _bound_fn(spec)
    machine = _Machine(spec, base_lr)
    i = runs = since = 0
    while i < n:
        runs += 1
        if runs > 32 and i - since < 48 * runs:  # short runs: step a block epoch by epoch
            block = m[i : i + 4096].tolist()
            machine.step_each(block, i)
            i += len(block)
            runs, since = 0, i
            continue
        j = _next_better(m, i, bound(machine.best), op)
        if j > i:
            machine.bad_run(i, j - i)
        if j >= n:
            break
        e = _improving_end(m, j, bound, op)
        machine.improving_run(j, e, float(m[e - 1]))
        i = e
    at = [0] + [ev.index for ev in machine.changes] + [n]
    values = np.array([float(base_lr)] + [ev.after for ev in machine.changes], dtype=np.float64)
    return np.repeat(values, np.diff(at)), machine.changes


def _plateau_run(
    spec: ReduceLROnPlateau, base_lr: float, n: int, metrics: FloatArray | None
) -> tuple[FloatArray, tuple[Event, ...]]:
    if n <= 0:
        return np.empty(0, dtype=np.float64), ()
    if metrics is None:
        raise ValueError(f"{type(spec).__name__} needs metrics (one per epoch), got None")
    m = np.ascontiguousarray(np.asarray(metrics, dtype=np.float64)[: n - 1])
    lrs, events = plateau_fast(spec, base_lr, m)
    lr = np.empty(n, dtype=np.float64)
    lr[0] = float(base_lr)
    lr[1:] = lrs
    return lr, tuple(events)


register(ReduceLROnPlateau, Replayer(run=_plateau_run, metric_driven=True, events="change"))
