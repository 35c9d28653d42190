"""Specs of torch.optim.lr_scheduler classes, named and parametrised exactly like torch.

Each spec is a frozen dataclass; its exact replay (torch's recursive float64 arithmetic, in
torch's order) is registered beside it and reached through :func:`replay.lr_trajectory`.
ReduceLROnPlateau's replay lives in :mod:`replay._plateau`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from replay import _fmath as _fm
from replay._registry import register, torch_replayer
from replay.types import FloatArray, IntArray

__all__ = ["ConstantSchedule", "CosineAnnealingLR", "ReduceLROnPlateau", "StepLR"]


@dataclass(frozen=True)
class ConstantSchedule:
    """No scheduler at all: the LR stays at the optimizer's base LR.

    .. math::
        \\eta_t = \\eta_0

    Example:
        >>> from replay import ConstantSchedule, lr_trajectory
        >>> print(lr_trajectory(ConstantSchedule(), 0.1, 3).table())
        epoch  lr
            0  0.1
            1  0.1
            2  0.1
    """

    framework = "torch"


@dataclass(frozen=True)
class StepLR:
    """torch ``StepLR(step_size, gamma=0.1)``: multiply by ``gamma`` every ``step_size``.

    Can combine with outside LR changes in torch (it multiplies the current LR); the replay
    starts from ``base_lr`` with no outside changes.

    .. math::
        \\eta_t = \\eta_{t-1} \\cdot \\gamma \\ \\text{if } t > 0 \\text{ and }
        t \\bmod s = 0, \\text{ else } \\eta_{t-1}

    where :math:`\\eta_0` is the base LR, :math:`s` = ``step_size`` and :math:`\\gamma` =
    ``gamma``. The closed form :math:`\\eta_0 \\gamma^{\\lfloor t/s \\rfloor}` (used by the
    deprecated ``step(epoch)``) differs in the last bits: ``0.1 * 0.1`` carried is
    ``0.010000000000000002``, ``0.1 * 0.1 ** 1`` too, but ``0.1 * 0.1 ** 2`` is not ``0.1 *
    0.1 * 0.1``.

    Timing: ``lr[t]`` is the LR of epoch ``t`` in ``for e: train(); scheduler.step()``; the
    first decayed epoch is ``step_size``.

    Args:
        step_size (int): period of the decay, in scheduler steps. Must be a positive int.
        gamma (float): multiplicative factor. Default: 0.1.

    Example:
        >>> # lr = 0.1    if epoch < 2
        >>> # lr = 0.01   if 2 <= epoch < 4
        >>> # lr = 0.001  if 4 <= epoch < 6
        >>> from replay import StepLR, lr_trajectory
        >>> print(lr_trajectory(StepLR(step_size=2), 0.1, 5).table())
        epoch  lr
            0  0.1
            1  0.1
            2  0.01
            3  0.01
            4  0.001
    """

    step_size: int
    gamma: float = 0.1
    framework = "torch"

    def __post_init__(self) -> None:
        if int(self.step_size) != self.step_size or self.step_size < 1:
            raise ValueError(f"StepLR step_size must be a positive int, got {self.step_size!r}")


@dataclass(frozen=True)
class CosineAnnealingLR:
    """torch ``CosineAnnealingLR(T_max, eta_min=0.0)``, periodic past ``T_max`` like torch.

    torch runs the recursive form below, never clamps, and so climbs back to the base LR at
    ``2*T_max`` (period ``2*T_max``); the replay does the same, bit for bit.

    .. math::
        \\eta_t = \\eta_{min} + (\\eta_{t-1} - \\eta_{min})
        \\frac{1 + \\cos(\\pi t / T_{max})}{1 + \\cos(\\pi (t-1) / T_{max})}

    except at the troughs :math:`(t - 1 - T_{max}) \\bmod 2T_{max} = 0`, where
    :math:`\\eta_t = \\eta_{t-1} + (\\eta_0 - \\eta_{min})(1 - \\cos(\\pi / T_{max}))/2`, and
    where :math:`\\eta_0` is the base LR, :math:`\\eta_{min}` = ``eta_min``, :math:`T_{max}` =
    ``T_max``. Closed form (``step(epoch)``):
    :math:`\\eta_{min} + (\\eta_0 - \\eta_{min})(1 + \\cos(\\pi t / T_{max}))/2`.

    Timing: ``lr[t]`` is the LR of epoch ``t``; ``lr[T_max]`` is ``eta_min`` (up to rounding)
    and the replay emits a ``"restart"`` event at index ``T_max`` (the LR rises from epoch
    ``T_max + 1``).

    Args:
        T_max (int): half period, in scheduler steps. Must be positive.
        eta_min (float): minimum LR. Default: 0.0.

    Example:
        >>> from replay import CosineAnnealingLR, lr_trajectory
        >>> traj = lr_trajectory(CosineAnnealingLR(T_max=2), 0.1, 5)
        >>> print(traj.table())
        epoch  lr
            0  0.1
            1  0.05
            2  0
            3  0.05
            4  0.1
        >>> traj.first("restart").index
        2
    """

    T_max: int
    eta_min: float = 0.0
    framework = "torch"

    def __post_init__(self) -> None:
        if self.T_max <= 0:
            raise ValueError(f"CosineAnnealingLR T_max must be positive, got {self.T_max!r}")


@dataclass(frozen=True)
class ReduceLROnPlateau:
    """torch ``ReduceLROnPlateau`` with all of its parameters and torch's defaults.

    A state machine over the metric passed to each ``step(metric)`` (one call per epoch in
    the canonical loop). The replay is in :mod:`replay._plateau`.

    .. math::
        \\text{better}(a) = \\begin{cases}
        a < b(1 - \\tau) & \\text{min, rel} \\\\ a < b - \\tau & \\text{min, abs} \\\\
        a > b(1 + \\tau) & \\text{max, rel} \\\\ a > b + \\tau & \\text{max, abs}
        \\end{cases}

    where :math:`b` is the best metric so far (starts at :math:`\\pm\\infty`) and :math:`\\tau`
    = ``threshold``. A non-better call (NaN included) adds one bad epoch; a call during
    cooldown resets the count; when the count exceeds ``patience`` (strict ``>``) the LR
    becomes :math:`\\max(\\eta \\cdot \\text{factor}, \\text{min\\_lr})` unless that changes it by
    ``eps`` or less, and the cooldown starts (counters reset even if nothing changed).

    Timing: best at epoch ``k`` then flat ⇒ the ``step`` after epoch ``k + patience + 1``
    reduces, and the new LR is used from epoch ``k + patience + 2``. With ``patience=0``:
    the first epoch sets the baseline, each later epoch that is not better reduces the LR
    at its end.

    Args:
        mode (str): ``"min"`` or ``"max"``. Default: ``"min"``.
        factor (float): multiplier on reduction, must be < 1. Default: 0.1.
        patience (int): bad epochs tolerated before reducing. Default: 10.
        threshold (float): significance threshold. Default: 1e-4.
        threshold_mode (str): ``"rel"`` or ``"abs"``. Default: ``"rel"``.
        cooldown (int): calls after a reduction during which bad epochs are not counted.
            Default: 0.
        min_lr (float): lower bound of the LR. Default: 0.0.
        eps (float): smallest LR change applied. Default: 1e-8.

    Example:
        >>> # flat metric, patience=1: reductions after epochs 2 and 4
        >>> from replay import ReduceLROnPlateau, lr_trajectory
        >>> traj = lr_trajectory(ReduceLROnPlateau(patience=1, factor=0.5), 1.0, 6, [1.0] * 6)
        >>> print(traj.table())
        epoch  lr
            0  1
            1  1
            2  1
            3  0.5
            4  0.5
            5  0.25
        >>> [e.index for e in traj.events]
        [2, 4]
    """

    mode: str = "min"
    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: float = 0.0
    eps: float = 1e-8
    framework = "torch"

    def __post_init__(self) -> None:
        if self.mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau mode must be 'min' or 'max', got {self.mode!r}")
        if self.threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau threshold_mode must be 'rel' or 'abs', "
                f"got {self.threshold_mode!r}"
            )
        if self.factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau factor must be < 1.0, got {self.factor!r}")
        if self.patience < 0 or self.cooldown < 0:
            raise ValueError(
                f"ReduceLROnPlateau patience and cooldown must be >= 0, "
                f"got patience={self.patience!r}, cooldown={self.cooldown!r}"
            )


# --- replays -------------------------------------------------------------------------------


def _constant_get_lr(
    spec: ConstantSchedule, base_lr: float, t: int, cur: float, initial: bool
) -> float:
    return cur


def _constant_closed(spec: ConstantSchedule, base_lr: float, t: IntArray) -> FloatArray:
    return np.full(t.shape, float(base_lr))


def _constant_run_from(spec: ConstantSchedule, base_lr: float, n: int, start: float) -> FloatArray:
    return np.full(n, float(start))


def _step_get_lr(spec: StepLR, base_lr: float, t: int, cur: float, initial: bool) -> float:
    # torch StepLR.get_lr: ``group["lr"] * gamma`` when t > 0 and t % step_size == 0.
    if t == 0 or t % spec.step_size != 0:
        return cur
    return cur * spec.gamma


def _step_run_from(spec: StepLR, base_lr: float, n: int, start: float) -> FloatArray:
    levels = [float(start)]
    for _ in range(max(n - 1, 0) // spec.step_size):
        levels.append(levels[-1] * spec.gamma)
    return np.array(levels, dtype=np.float64)[np.arange(n) // spec.step_size]


def _step_closed(spec: StepLR, base_lr: float, t: IntArray) -> FloatArray:
    # torch StepLR._get_closed_form_lr: ``base_lr * gamma ** (last_epoch // step_size)``.
    return pow_table(base_lr, spec.gamma, t // spec.step_size)


def pow_table(base_lr: float, gamma: float, k: IntArray) -> FloatArray:
    """``base_lr * gamma ** k`` with Python's float power for each integer ``k`` (as torch)."""
    uniq, inv = np.unique(k, return_inverse=True)
    vals = np.array([base_lr * gamma ** int(j) for j in uniq], dtype=np.float64)
    return vals[inv].reshape(np.shape(k))


def _cosine_get_lr(
    spec: CosineAnnealingLR, base_lr: float, t: int, cur: float, initial: bool
) -> float:
    # torch CosineAnnealingLR.get_lr (the ``_step_count == 1`` resume branch never occurs here).
    T, eta = spec.T_max, spec.eta_min
    if initial:
        return cur
    if (t - 1 - T) % (2 * T) == 0:
        return cur + (base_lr - eta) * (1 - math.cos(math.pi / T)) / 2
    return (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (
        cur - eta
    ) + eta


def _cosine_factors(T: int, n: int) -> FloatArray:
    """``(1 + cos(pi * t / T)) / (1 + cos(pi * (t - 1) / T))`` for ``t = 0..n-1``, operand
    order as torch; ``cos(pi * (t - 1) / T)`` is the same float as the previous ``t``'s
    numerator term, so each cosine is computed once. The division by zero at the troughs is
    never used (torch takes the other branch there)."""
    c = 1 + _fm.cos(np.pi * np.arange(-1, n, dtype=np.float64) / T)
    with np.errstate(divide="ignore", invalid="ignore"):
        return c[1:] / c[:-1]


def _cosine_run_from(spec: CosineAnnealingLR, base_lr: float, n: int, start: float) -> FloatArray:
    T, eta = spec.T_max, spec.eta_min
    lr = np.empty(n, dtype=np.float64)
    if n == 0:
        return lr
    factors = _cosine_factors(T, n)
    troughs = np.arange(T + 1, n, 2 * T).tolist()  # (t - 1 - T) % (2 * T) == 0, t >= 1
    bump = (base_lr - eta) * (1 - math.cos(math.pi / T)) / 2
    lr[0] = cur = float(start)
    if eta != 0:
        f, tr = factors.tolist(), set(troughs)
        for i in range(1, n):
            cur = cur + bump if i in tr else f[i] * (cur - eta) + eta
            lr[i] = cur
        return lr
    # f * (cur - 0) + 0 == f * cur exactly: each run between troughs is a running product.
    start_i = 1
    for stop in [*troughs, n]:
        if stop > start_i:
            seg = factors[start_i:stop]
            first = seg[0]
            seg[0] = first * cur
            np.multiply.accumulate(seg, out=lr[start_i:stop])
            seg[0] = first
            cur = float(lr[stop - 1])
        if stop < n:
            cur = cur + bump
            lr[stop] = cur
            start_i = stop + 1
    return lr


def _cosine_closed(spec: CosineAnnealingLR, base_lr: float, t: IntArray) -> FloatArray:
    eta = spec.eta_min
    return eta + (base_lr - eta) * (1 + _fm.cos(np.pi * t / spec.T_max)) / 2


register(
    ConstantSchedule,
    torch_replayer(_constant_get_lr, _constant_closed, _constant_run_from, events="change"),
)
register(StepLR, torch_replayer(_step_get_lr, _step_closed, _step_run_from, events="change"))
register(CosineAnnealingLR, torch_replayer(_cosine_get_lr, _cosine_closed, _cosine_run_from))
