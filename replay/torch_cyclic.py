"""Specs and exact replays of torch's cyclic schedules.

``CosineAnnealingWarmRestarts``, ``CyclicLR`` and ``OneCycleLR`` compute the LR from the step
count alone (no running product), so their replays are vectorised over the whole series; the
float64 expressions keep torch's operand order. ``CyclicLR`` and ``OneCycleLR`` count batches:
step them once per optimizer step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from replay import _fmath as _fm
from replay._registry import ClosedFn, register, torch_replayer
from replay.types import FloatArray, IntArray

__all__ = ["CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR"]


@dataclass(frozen=True)
class CosineAnnealingWarmRestarts:
    """torch ``CosineAnnealingWarmRestarts(T_0, T_mult=1, eta_min=0.0)`` (SGDR).

    .. math::
        \\eta_t = \\eta_{min} + \\frac{1}{2}(\\eta_0 - \\eta_{min})
        \\left(1 + \\cos\\left(\\frac{T_{cur}}{T_i}\\pi\\right)\\right)

    where :math:`T_{cur}` counts steps since the last restart and :math:`T_i` is the current
    period (``T_0``, then times ``T_mult`` after each restart: T_0=3, T_mult=2 restarts at 3,
    9, 21). Always evaluated in closed form, so it ignores outside LR changes.

    Timing: ``lr[t]`` after ``t`` plain ``step()`` calls; with ``step(epoch)`` torch recomputes
    ``T_cur`` with ``math.log`` (``stepping="step_epoch_after"`` repeats that). A restart at
    ``t`` is an event at ``t - 1``.

    Args:
        T_0 (int): first period, a positive int.
        T_mult (int): period multiplier after each restart, an int >= 1. Default: 1.
        eta_min (float): minimum LR. Default: 0.0.

    Example:
        >>> from replay import CosineAnnealingWarmRestarts, lr_trajectory
        >>> traj = lr_trajectory(CosineAnnealingWarmRestarts(T_0=2), 0.1, 5)
        >>> print(traj.table())
        epoch  lr
            0  0.1
            1  0.05
            2  0.1
            3  0.05
            4  0.1
        >>> [e.index for e in traj.events]
        [1, 3]
    """

    T_0: int
    T_mult: int = 1
    eta_min: float = 0.0
    framework = "torch"

    def __post_init__(self) -> None:
        if not isinstance(self.T_0, int) or self.T_0 <= 0:
            raise ValueError(
                f"CosineAnnealingWarmRestarts T_0 must be a positive int, got {self.T_0!r}"
            )
        if not isinstance(self.T_mult, int) or self.T_mult < 1:
            raise ValueError(
                f"CosineAnnealingWarmRestarts T_mult must be an int >= 1, got {self.T_mult!r}"
            )


@dataclass(frozen=True)
class CyclicLR:
    """torch ``CyclicLR``: triangular cycles between ``base_lr`` and ``max_lr`` (Smith 2017).

    The constructor overwrites the optimizer's LR with ``base_lr``, so the ``base_lr`` passed to
    :func:`replay.lr_trajectory` is ignored. Momentum cycling is not replayed.

    .. math::
        c = \\lfloor 1 + t / S \\rfloor, \\quad x = 1 + t/S - c, \\quad
        \\eta_t = b + (m - b) \\cdot s(x) \\cdot f

    where :math:`S` = ``step_size_up + step_size_down``, :math:`r` = ``step_size_up / S``,
    :math:`s(x) = x/r` if :math:`x \\le r` else :math:`(x-1)/(r-1)`, :math:`b` = ``base_lr``,
    :math:`m` = ``max_lr``, and :math:`f` = 1 (triangular), :math:`2^{-(c-1)}` (triangular2),
    :math:`\\gamma^t` (exp_range) or ``scale_fn`` of :math:`c` or :math:`t` (``scale_mode``).

    Timing: ``t`` counts batches (``lr[t]`` trains batch ``t``).

    Args:
        base_lr (float): lower bound of the cycle.
        max_lr (float): upper bound of the cycle.
        step_size_up (int): steps from ``base_lr`` to ``max_lr``. Default: 2000.
        step_size_down (int | None): steps back; ``None`` = ``step_size_up``. Default: None.
        mode (str): ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
            Default: ``"triangular"``.
        gamma (float): ``exp_range`` decay per step. Default: 1.0.
        scale_fn (Callable | None): custom scaling; overrides ``mode``. Default: None.
        scale_mode (str): ``"cycle"`` or ``"iterations"`` (custom ``scale_fn`` only).
            Default: ``"cycle"``.
        cycle_momentum (bool): torch cycles momentum too (needs momentum or betas); kept for
            constructor parity. Default: True.
        base_momentum (float): Default: 0.8.
        max_momentum (float): Default: 0.9.

    Example:
        >>> from replay import CyclicLR, lr_trajectory
        >>> spec = CyclicLR(base_lr=0.1, max_lr=0.3, step_size_up=2)
        >>> print(lr_trajectory(spec, 0.0, 5).table())
        epoch  lr
            0  0.1
            1  0.2
            2  0.3
            3  0.2
            4  0.1
    """

    base_lr: float
    max_lr: float
    step_size_up: int = 2000
    step_size_down: int | None = None
    mode: str = "triangular"
    gamma: float = 1.0
    scale_fn: Callable[[float], float] | None = None
    scale_mode: str = "cycle"
    cycle_momentum: bool = True
    base_momentum: float = 0.8
    max_momentum: float = 0.9
    framework = "torch"

    def __post_init__(self) -> None:
        if self.mode not in ("triangular", "triangular2", "exp_range") and self.scale_fn is None:
            raise ValueError(
                "CyclicLR mode must be 'triangular', 'triangular2' or 'exp_range' when scale_fn "
                f"is None, got {self.mode!r}"
            )


@dataclass(frozen=True)
class OneCycleLR:
    """torch ``OneCycleLR``: warm up to ``max_lr``, then anneal far below the start (1cycle).

    Not chainable: it sets the LR from the step count alone. The ``base_lr`` passed to
    :func:`replay.lr_trajectory` is ignored (the start is ``max_lr / div_factor``).

    .. math::
        \\eta_t = \\text{anneal}(\\eta_{start}, \\eta_{end}, p), \\quad
        p = \\frac{t - s_k}{e_k - s_k}

    in the phase ``k`` with ``t <= e_k`` (or the last), where the phase ends are
    ``pct_start*T - 1`` and ``T - 1`` (three-phase: ``pct_start*T - 1``, ``2*pct_start*T - 2``,
    ``T - 1``), ``T`` = ``total_steps``; cos anneal: :math:`e + (s - e)/2 (\\cos(\\pi p) + 1)`,
    linear: :math:`(e - s) p + s`. The LR runs ``max_lr/div_factor`` → ``max_lr`` →
    ``max_lr/div_factor/final_div_factor``.

    Timing: ``lr[t]`` trains batch ``t``; ``lr[T-1]`` is the minimum; ``lr[T]`` is torch's
    extrapolation (pytorch#91765) and a further step raises ValueError like torch.

    Args:
        max_lr (float): the peak LR.
        total_steps (int | None): the cycle length; or give ``epochs`` and
            ``steps_per_epoch``. Default: None.
        epochs (int | None): Default: None.
        steps_per_epoch (int | None): Default: None.
        pct_start (float): share of the cycle spent rising. Default: 0.3.
        anneal_strategy (str): ``"cos"`` or ``"linear"``. Default: ``"cos"``.
        cycle_momentum (bool): kept for constructor parity. Default: True.
        base_momentum (float): Default: 0.85.
        max_momentum (float): Default: 0.95.
        div_factor (float): start = ``max_lr / div_factor``. Default: 25.0.
        final_div_factor (float): end = start / ``final_div_factor``. Default: 1e4.
        three_phase (bool): fall back to the start before the final anneal. Default: False.

    Example:
        >>> from replay import OneCycleLR, lr_trajectory
        >>> spec = OneCycleLR(max_lr=1.0, total_steps=5, pct_start=0.4, anneal_strategy="linear",
        ...                   div_factor=10.0, final_div_factor=10.0)
        >>> print(lr_trajectory(spec, 0.0, 5).table())
        epoch  lr
            0  0.1
            1  1
            2  0.67
            3  0.34
            4  0.01
    """

    max_lr: float
    total_steps: int | None = None
    epochs: int | None = None
    steps_per_epoch: int | None = None
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    cycle_momentum: bool = True
    base_momentum: float = 0.85
    max_momentum: float = 0.95
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False
    framework = "torch"

    def __post_init__(self) -> None:
        if self.total_steps is None and (self.epochs is None or self.steps_per_epoch is None):
            raise ValueError(
                "OneCycleLR needs total_steps, or epochs and steps_per_epoch; got none of them"
            )
        if self.total_steps is not None and (
            not isinstance(self.total_steps, int) or self.total_steps <= 0
        ):
            raise ValueError(
                f"OneCycleLR total_steps must be a positive int, got {self.total_steps!r}"
            )
        if not isinstance(self.pct_start, float) or not 0 <= self.pct_start <= 1:
            raise ValueError(
                f"OneCycleLR pct_start must be a float in [0, 1], got {self.pct_start!r}"
            )
        if self.anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                "OneCycleLR anneal_strategy must be 'cos' or 'linear', "
                f"got {self.anneal_strategy!r}"
            )

    @property
    def steps(self) -> int:
        """``total_steps``, or ``epochs * steps_per_epoch``."""
        if self.total_steps is not None:
            return self.total_steps
        if self.epochs is None or self.steps_per_epoch is None:
            raise ValueError(
                "OneCycleLR needs total_steps, or epochs and steps_per_epoch; got none of them"
            )
        return self.epochs * self.steps_per_epoch


# --- CosineAnnealingWarmRestarts -----------------------------------------------------------


def _warm_state(spec: CosineAnnealingWarmRestarts, t: IntArray) -> tuple[IntArray, IntArray]:
    """(T_cur, T_i) after ``t`` plain ``step()`` calls."""
    if spec.T_mult == 1:
        return t % spec.T_0, np.full(t.shape, spec.T_0)
    t_cur, t_i = np.empty_like(t), np.empty_like(t)
    start, period = 0, spec.T_0
    top = int(t.max()) if t.size else 0
    while start <= top:
        mask = (t >= start) & (t < start + period)
        t_cur[mask] = t[mask] - start
        t_i[mask] = period
        start, period = start + period, period * spec.T_mult
    return t_cur, t_i


def _warm_lr(spec: CosineAnnealingWarmRestarts, base_lr: float, t: IntArray) -> FloatArray:
    t_cur, t_i = _warm_state(spec, t)
    eta = spec.eta_min
    return eta + (base_lr - eta) * (1 + _fm.cos(np.pi * t_cur / t_i)) / 2


def _warm_closed(spec: CosineAnnealingWarmRestarts, base_lr: float, t: IntArray) -> FloatArray:
    # torch CosineAnnealingWarmRestarts.step(epoch): T_cur and T_i recomputed from the epoch,
    # with math.log for T_mult > 1 (its rounding included).
    T_0, T_mult = spec.T_0, spec.T_mult
    out = []
    for epoch in np.ravel(t).tolist():
        t_i = T_0
        if epoch < T_0:
            t_cur = epoch
        elif T_mult == 1:
            t_cur = epoch % T_0
        else:
            n = int(math.log((epoch / T_0 * (T_mult - 1) + 1), T_mult))
            t_cur = epoch - T_0 * (T_mult**n - 1) / (T_mult - 1)
            t_i = T_0 * T_mult ** (n)
        eta = spec.eta_min
        out.append(eta + (base_lr - eta) * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
    return np.array(out, dtype=np.float64)


# --- CyclicLR ------------------------------------------------------------------------------


def _cyclic_lr(spec: CyclicLR, base_lr: float, t: IntArray) -> FloatArray:
    up = float(spec.step_size_up)
    down = float(spec.step_size_down) if spec.step_size_down is not None else up
    total = up + down
    ratio = up / total
    tf = t.astype(np.float64)
    cycle = np.floor(1 + tf / total)
    x = 1.0 + tf / total - cycle
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    height = (spec.max_lr - spec.base_lr) * scale
    return spec.base_lr + height * _cyclic_factor(spec, cycle, t)


def _cyclic_factor(spec: CyclicLR, cycle: FloatArray, t: IntArray) -> FloatArray | float:
    if spec.scale_fn is not None:
        arg = cycle.astype(np.int64) if spec.scale_mode == "cycle" else t
        return np.array([spec.scale_fn(int(a)) for a in arg], dtype=np.float64)
    if spec.mode == "triangular":
        return 1.0
    if spec.mode == "triangular2":
        return 1 / (2.0 ** (cycle - 1))
    return np.array([spec.gamma ** int(k) for k in t], dtype=np.float64)


# --- OneCycleLR ----------------------------------------------------------------------------


def _one_cycle_phases(spec: OneCycleLR) -> list[tuple[float, float, float]]:
    """(end_step, start_lr, end_lr) per phase, as torch builds them."""
    T, p = spec.steps, spec.pct_start
    initial = spec.max_lr / spec.div_factor
    low = initial / spec.final_div_factor
    if spec.three_phase:
        return [
            (float(p * T) - 1, initial, spec.max_lr),
            (float(2 * p * T) - 2, spec.max_lr, initial),
            (T - 1, initial, low),
        ]
    return [(float(p * T) - 1, initial, spec.max_lr), (T - 1, spec.max_lr, low)]


def _one_cycle_lr(spec: OneCycleLR, base_lr: float, t: IntArray) -> FloatArray:
    if t.size and int(t.max()) > spec.steps:
        raise ValueError(
            f"Tried to step {int(t.max())} times. The specified number of total steps is "
            f"{spec.steps}"
        )
    tf = t.astype(np.float64)
    out = np.empty(t.shape, dtype=np.float64)
    todo = np.ones(t.shape, dtype=bool)
    start_step = 0.0
    phases = _one_cycle_phases(spec)
    for i, (end_step, lo, hi) in enumerate(phases):
        mask = todo & ((tf <= end_step) | (i == len(phases) - 1))
        if end_step == start_step and mask.any():
            # torch divides by the phase's length in plain Python and raises; so do we
            raise ZeroDivisionError(
                f"OneCycleLR phase {i + 1} has no steps (from step {start_step:g} to "
                f"{end_step:g}): torch raises ZeroDivisionError here")
        pct = (tf[mask] - start_step) / (end_step - start_step)
        if spec.anneal_strategy == "cos":
            out[mask] = hi + (lo - hi) / 2.0 * (_fm.cos(np.pi * pct) + 1)
        else:
            out[mask] = (hi - lo) * pct + lo
        todo &= ~mask
        start_step = end_step
    return out


_S = TypeVar("_S")


def _register_closed_form(
    cls: type[_S],
    lr_of_t: Callable[[_S, float, IntArray], FloatArray],
    closed: ClosedFn[_S] | None = None,
) -> None:
    """Register a schedule whose torch ``get_lr`` is a function of the step count alone."""

    def get_lr(spec: _S, base_lr: float, t: int, cur: float, initial: bool) -> float:
        return float(lr_of_t(spec, base_lr, np.array([t]))[0])

    def run_from(spec: _S, base_lr: float, n: int, start: float) -> FloatArray:
        return lr_of_t(spec, base_lr, np.arange(n))

    def closed_form(spec: _S, base_lr: float, t: IntArray) -> FloatArray:
        return lr_of_t(spec, base_lr, np.asarray(t))

    register(cls, torch_replayer(get_lr, closed or closed_form, run_from))


_register_closed_form(CosineAnnealingWarmRestarts, _warm_lr, closed=_warm_closed)
_register_closed_form(CyclicLR, _cyclic_lr)
_register_closed_form(OneCycleLR, _one_cycle_lr)
