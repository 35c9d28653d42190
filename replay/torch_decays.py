"""Specs and exact replays of torch's multiplicative schedules.

``LambdaLR``, ``MultiplicativeLR``, ``MultiStepLR``, ``ConstantLR``, ``LinearLR``,
``ExponentialLR`` and ``PolynomialLR``, named and parametrised like
``torch.optim.lr_scheduler``. Each replay repeats torch's ``get_lr`` (the recursive form that
multiplies the running LR) in float64, in torch's operation order; the closed forms serve
the deprecated ``step(epoch)``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from replay._registry import register, torch_replayer
from replay.torch_schedulers import pow_table
from replay.types import FloatArray, IntArray

__all__ = [
    "ConstantLR",
    "ExponentialLR",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "PolynomialLR",
]


@dataclass(frozen=True)
class LambdaLR:
    """torch ``LambdaLR(lr_lambda)``: the base LR times a function of the step count.

    Not recursive: it ignores outside LR changes. Every HF ``get_*_schedule`` is one of these.

    .. math::
        \\eta_t = \\eta_0 \\cdot \\lambda(t)

    where :math:`\\eta_0` is the base LR and :math:`\\lambda` = ``lr_lambda``.

    Timing: ``lr[t]`` uses ``lr_lambda(t)``, ``t = 0`` included (the constructor's step).

    Args:
        lr_lambda (Callable[[int], float]): the multiplier of step ``t``.

    Example:
        >>> from replay import LambdaLR, lr_trajectory
        >>> print(lr_trajectory(LambdaLR(lambda t: 0.5**t), 0.1, 3).table())
        epoch  lr
            0  0.1
            1  0.05
            2  0.025
    """

    lr_lambda: Callable[[int], float]
    framework = "torch"

    def __post_init__(self) -> None:
        if not callable(self.lr_lambda):
            raise TypeError(f"LambdaLR lr_lambda must be callable, got {self.lr_lambda!r}")


@dataclass(frozen=True)
class MultiplicativeLR:
    """torch ``MultiplicativeLR(lr_lambda)``: multiply the running LR by ``lr_lambda(t)``.

    .. math::
        \\eta_t = \\eta_{t-1} \\cdot \\lambda(t), \\quad t \\ge 1

    where :math:`\\lambda` = ``lr_lambda``; :math:`\\lambda(0)` is never used by the standard
    loop (the constructor's step keeps the LR), but ``step(epoch=e)`` after epoch ``e`` applies
    :math:`\\lambda(e)` from ``e = 0``.

    Args:
        lr_lambda (Callable[[int], float]): the factor of step ``t``.

    Example:
        >>> from replay import MultiplicativeLR, lr_trajectory
        >>> print(lr_trajectory(MultiplicativeLR(lambda t: 0.5), 1.0, 3).table())
        epoch  lr
            0  1
            1  0.5
            2  0.25
    """

    lr_lambda: Callable[[int], float]
    framework = "torch"

    def __post_init__(self) -> None:
        if not callable(self.lr_lambda):
            raise TypeError(f"MultiplicativeLR lr_lambda must be callable, got {self.lr_lambda!r}")


@dataclass(frozen=True)
class MultiStepLR:
    """torch ``MultiStepLR(milestones, gamma=0.1)``: multiply by ``gamma`` at each milestone.

    A milestone listed twice decays twice (torch keeps a ``Counter``); a milestone 0 decays in
    the constructor.

    .. math::
        \\eta_t = \\eta_{t-1} \\cdot \\gamma^{c(t)}

    where :math:`c(t)` is how often ``t`` is in ``milestones`` and :math:`\\gamma` = ``gamma``;
    closed form :math:`\\eta_0 \\gamma^{|\\{m \\le t\\}|}`.

    Args:
        milestones (tuple[int, ...]): epochs (or steps) at which to decay; any order.
        gamma (float): the factor. Default: 0.1.

    Example:
        >>> # lr = 0.1 if epoch < 2; 0.01 if 2 <= epoch < 4; 0.001 from epoch 4
        >>> from replay import MultiStepLR, lr_trajectory
        >>> print(lr_trajectory(MultiStepLR(milestones=(2, 4)), 0.1, 5).table())
        epoch  lr
            0  0.1
            1  0.1
            2  0.01
            3  0.01
            4  0.001
    """

    milestones: tuple[int, ...]
    gamma: float = 0.1
    framework = "torch"

    def __post_init__(self) -> None:
        object.__setattr__(self, "milestones", tuple(int(m) for m in self.milestones))


@dataclass(frozen=True)
class ConstantLR:
    """torch ``ConstantLR(factor=1/3, total_iters=5)``: a constant factor, then the base LR.

    .. math::
        \\eta_0 = f \\eta_{base}, \\quad \\eta_{T} = \\eta_{T-1} \\cdot (1 / f)

    where :math:`f` = ``factor`` and :math:`T` = ``total_iters`` (torch multiplies by
    ``1.0 / factor``, which need not give back the base LR bit for bit).

    Args:
        factor (float): in ``[0, 1]``. Default: 1/3.
        total_iters (int): steps with the factor applied. Default: 5.

    Example:
        >>> from replay import ConstantLR, lr_trajectory
        >>> print(lr_trajectory(ConstantLR(factor=0.5, total_iters=2), 0.1, 4).table())
        epoch  lr
            0  0.05
            1  0.05
            2  0.1
            3  0.1
    """

    factor: float = 1.0 / 3
    total_iters: int = 5
    framework = "torch"

    def __post_init__(self) -> None:
        if self.factor > 1.0 or self.factor < 0:
            raise ValueError(f"ConstantLR factor must be in [0, 1], got {self.factor!r}")


@dataclass(frozen=True)
class LinearLR:
    """torch ``LinearLR(start_factor=1/3, end_factor=1.0, total_iters=5)``: linear ramp.

    .. math::
        \\eta_t = \\eta_{t-1}\\left(1 + \\frac{e - s}{T s + (t - 1)(e - s)}\\right),
        \\quad 1 \\le t \\le T

    where :math:`s` = ``start_factor``, :math:`e` = ``end_factor``, :math:`T` =
    ``total_iters`` and :math:`\\eta_0 = s \\cdot \\eta_{base}`; closed form
    :math:`\\eta_{base}(s + (e - s)\\min(T, t)/T)`.

    Args:
        start_factor (float): in ``(0, 1]``. Default: 1/3.
        end_factor (float): in ``[0, 1]``. Default: 1.0.
        total_iters (int): length of the ramp. Default: 5.

    Example:
        >>> from replay import LinearLR, lr_trajectory
        >>> traj = lr_trajectory(LinearLR(start_factor=0.25, total_iters=3), 0.1, 5)
        >>> print(traj.table())
        epoch  lr
            0  0.025
            1  0.05
            2  0.075
            3  0.1
            4  0.1
    """

    start_factor: float = 1.0 / 3
    end_factor: float = 1.0
    total_iters: int = 5
    framework = "torch"

    def __post_init__(self) -> None:
        if self.start_factor > 1.0 or self.start_factor <= 0:
            raise ValueError(f"LinearLR start_factor must be in (0, 1], got {self.start_factor!r}")
        if self.end_factor > 1.0 or self.end_factor < 0:
            raise ValueError(f"LinearLR end_factor must be in [0, 1], got {self.end_factor!r}")


@dataclass(frozen=True)
class ExponentialLR:
    """torch ``ExponentialLR(gamma)``: multiply by ``gamma`` every step.

    .. math::
        \\eta_t = \\eta_{t-1} \\gamma

    The carried product differs from :math:`\\eta_0 \\gamma^t` in the last bits (26 of 30
    epochs for 0.9).

    Args:
        gamma (float): the factor per step.

    Example:
        >>> from replay import ExponentialLR, lr_trajectory
        >>> print(lr_trajectory(ExponentialLR(gamma=0.5), 1.0, 3).table())
        epoch  lr
            0  1
            1  0.5
            2  0.25
    """

    gamma: float
    framework = "torch"


@dataclass(frozen=True)
class PolynomialLR:
    """torch ``PolynomialLR(total_iters=5, power=1.0)``: polynomial decay to exactly 0.

    .. math::
        \\eta_t = \\eta_{t-1}\\left(\\frac{1 - t/T}{1 - (t-1)/T}\\right)^p, \\quad t \\le T

    where :math:`T` = ``total_iters`` and :math:`p` = ``power``; the LR stays 0 after ``T``.

    Args:
        total_iters (int): steps until the LR reaches 0. Default: 5.
        power (float): the exponent. Default: 1.0.

    Example:
        >>> from replay import PolynomialLR, lr_trajectory
        >>> print(lr_trajectory(PolynomialLR(total_iters=2), 0.1, 4).table())
        epoch  lr
            0  0.1
            1  0.05
            2  0
            3  0
    """

    total_iters: int = 5
    power: float = 1.0
    framework = "torch"


# --- replays -------------------------------------------------------------------------------


def _lambda_get_lr(spec: LambdaLR, base_lr: float, t: int, cur: float, initial: bool) -> float:
    return base_lr * spec.lr_lambda(t)


def _lambda_closed(spec: LambdaLR, base_lr: float, t: IntArray) -> FloatArray:
    return np.array([base_lr * spec.lr_lambda(int(k)) for k in np.ravel(t)], dtype=np.float64)


def _multiplicative_get_lr(
    spec: MultiplicativeLR, base_lr: float, t: int, cur: float, initial: bool
) -> float:
    return cur if initial else cur * spec.lr_lambda(t)


def _multistep_get_lr(
    spec: MultiStepLR, base_lr: float, t: int, cur: float, initial: bool
) -> float:
    count = Counter(spec.milestones)[t]
    return cur * spec.gamma**count if count else cur


def _multistep_run_from(spec: MultiStepLR, base_lr: float, n: int, start: float) -> FloatArray:
    counts = Counter(spec.milestones)
    cur, lr = float(start), np.empty(n, dtype=np.float64)
    prev = 0
    for m in sorted(k for k in counts if 0 < k < n):
        lr[prev:m] = cur
        cur = cur * spec.gamma ** counts[m]
        prev = m
    lr[prev:] = cur
    return lr


def _multistep_closed(spec: MultiStepLR, base_lr: float, t: IntArray) -> FloatArray:
    ms = np.sort(np.asarray(spec.milestones, dtype=np.int64))
    # bisect_right over the sorted milestones, for every epoch at once
    return pow_table(base_lr, spec.gamma, np.searchsorted(ms, np.asarray(t), side="right"))


def _constant_lr_get_lr(
    spec: ConstantLR, base_lr: float, t: int, cur: float, initial: bool
) -> float:
    if t == 0:
        return cur * spec.factor
    if t != spec.total_iters:
        return cur
    return cur * (1.0 / spec.factor)


def _constant_lr_closed(spec: ConstantLR, base_lr: float, t: IntArray) -> FloatArray:
    return np.array(
        [base_lr * (spec.factor + (int(k) >= spec.total_iters) * (1 - spec.factor)) for k in t],
        dtype=np.float64,
    )


def _linear_get_lr(spec: LinearLR, base_lr: float, t: int, cur: float, initial: bool) -> float:
    s, e, total = spec.start_factor, spec.end_factor, spec.total_iters
    if t == 0:
        return cur * s
    if initial or t > total:
        return cur
    return cur * (1.0 + (e - s) / (total * s + (t - 1) * (e - s)))


def _linear_run_from(spec: LinearLR, base_lr: float, n: int, start: float) -> FloatArray:
    s, e, total = spec.start_factor, spec.end_factor, spec.total_iters
    lr = np.full(n, float(start))
    m = min(total, n - 1)
    if m >= 1:
        t = np.arange(1, m + 1, dtype=np.float64)
        seg = 1.0 + (e - s) / (total * s + (t - 1) * (e - s))
        seg[0] = start * seg[0]
        lr[1 : m + 1] = np.multiply.accumulate(seg)
        lr[m + 1 :] = lr[m]
    return lr


def _linear_closed(spec: LinearLR, base_lr: float, t: IntArray) -> FloatArray:
    s, e, total = spec.start_factor, spec.end_factor, spec.total_iters
    return np.array(
        [base_lr * (s + (e - s) * min(total, int(k)) / total) for k in t], dtype=np.float64
    )


def _exponential_get_lr(
    spec: ExponentialLR, base_lr: float, t: int, cur: float, initial: bool
) -> float:
    return cur if initial else cur * spec.gamma


def _exponential_run_from(spec: ExponentialLR, base_lr: float, n: int, start: float) -> FloatArray:
    seq = np.full(n, float(spec.gamma))
    if n:
        seq[0] = start
    return np.multiply.accumulate(seq)


def _exponential_closed(spec: ExponentialLR, base_lr: float, t: IntArray) -> FloatArray:
    return pow_table(base_lr, spec.gamma, np.asarray(t))


def _polynomial_get_lr(
    spec: PolynomialLR, base_lr: float, t: int, cur: float, initial: bool
) -> float:
    T = spec.total_iters
    if initial or t > T:
        return cur
    # float ** float is typed Any (a negative base gives a complex); here 0 <= t <= T, so
    # the base is >= 0 and the power a float
    decay: float = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** spec.power
    return cur * decay


def _polynomial_closed(spec: PolynomialLR, base_lr: float, t: IntArray) -> FloatArray:
    T = spec.total_iters
    return np.array(
        [base_lr * (1.0 - min(T, int(k)) / T) ** spec.power for k in t], dtype=np.float64
    )


def _polynomial_run_from(spec: PolynomialLR, base_lr: float, n: int, start: float) -> FloatArray:
    m = min(spec.total_iters + 1, n)
    lr = np.empty(n, dtype=np.float64)
    if n:
        head = [float(start)]
        for t in range(1, m):
            head.append(_polynomial_get_lr(spec, base_lr, t, head[-1], False))
        lr[:m] = head
        lr[m:] = head[-1]
    return lr


register(LambdaLR, torch_replayer(_lambda_get_lr, _lambda_closed))
register(MultiplicativeLR, torch_replayer(_multiplicative_get_lr))
register(
    MultiStepLR,
    torch_replayer(_multistep_get_lr, _multistep_closed, _multistep_run_from, events="change"),
)
register(ConstantLR, torch_replayer(_constant_lr_get_lr, _constant_lr_closed, events="change"))
register(LinearLR, torch_replayer(_linear_get_lr, _linear_closed, _linear_run_from))
register(
    ExponentialLR, torch_replayer(_exponential_get_lr, _exponential_closed, _exponential_run_from)
)
register(PolynomialLR, torch_replayer(_polynomial_get_lr, _polynomial_closed, _polynomial_run_from))
