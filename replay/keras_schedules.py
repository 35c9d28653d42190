"""Keras 3 learning-rate schedules (``keras.optimizers.schedules``), evaluated in float32.

Keras turns Python floats into float32 tensors, so every intermediate is float32
(0.1 -> 0.10000000149011612). Schedules are pure functions of ``step = optimizer.iterations``
read before the increment: batch ``s`` (0-based) trains with ``schedule(s)``. The replay runs
the same float32 operations in the same order with numpy; the elementary operations
(+, -, *, /, floor, ceil, min) are then bit-identical on every backend and every CPU. cos, log
and pow are computed in float64 and rounded once, i.e. correctly rounded float32.

Where Keras itself depends on the CPU (torch backend, see ``docs/keras_cpu_dependence.md``):
torch evaluates float32 ``cos`` and ``log`` with its vectorised CPU kernels (MKL's vector math
in the x86-64 wheels) even for the 0-d tensors a schedule uses. They are within about one ulp
of the correctly rounded value, but which bit comes out depends on the CPU's code path. So
``CosineDecay`` and ``CosineDecayRestarts`` agree with Keras to within a few ulp of ``cos``
(amplified near the trough, where ``1 + cos`` cancels), and ``CosineDecayRestarts`` with
``t_mul != 1`` may restart one step apart from Keras at an exact restart boundary. ``pow`` on
0-d tensors takes torch's scalar path (the C library's ``powf``), which does not depend on the
CPU; the other schedules are bit-identical to Keras.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from replay import _fmath as _fm
from replay._registry import EVENT_STYLES, Replayer, register
from replay.types import Event, Float32Array, FloatArray, IntArray

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
]

# numpy's stubs type ``np.float32(x)`` and any arithmetic with it as Any, so the float32
# results below are annotated where they are named or returned (the values are float32 arrays
# at runtime: every operand is float32).
_F = np.float32


class KerasSchedule(Protocol):
    """A Keras schedule spec: the float32 LR at each step (``optimizer.iterations``)."""

    def __call__(self, step: IntArray) -> Float32Array: ...


def _positive(name: str, decay_steps: float) -> None:
    if decay_steps <= 0:
        raise ValueError(f"{name}: argument `decay_steps` must be > 0, got {decay_steps!r}")


def _cos(x: Float32Array) -> Float32Array:
    # float32 cos/pow/log: the float64 result rounded once, i.e. the correctly rounded float32
    # (backends differ here: torch's vectorised cosf is off by one ulp for ~5% of arguments).
    return _fm.cos(np.asarray(x, dtype=np.float64)).astype(_F)


def _pow(a: npt.ArrayLike, b: npt.ArrayLike) -> Float32Array:
    return np.power(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)).astype(_F)


def _log(x: npt.ArrayLike) -> Float32Array:
    return np.log(np.asarray(x, dtype=np.float64)).astype(_F)


@dataclass(frozen=True)
class _RateDecay:
    """Shared fields of ExponentialDecay and InverseTimeDecay (same Keras signature)."""

    initial_learning_rate: float
    decay_steps: int
    decay_rate: float
    staircase: bool = False
    framework = "keras"

    def __post_init__(self) -> None:
        _positive(type(self).__name__, self.decay_steps)

    def _progress(self, step: IntArray) -> Float32Array:
        p: Float32Array = step.astype(_F) / _F(self.decay_steps)
        return np.floor(p) if self.staircase else p


@dataclass(frozen=True)
class ExponentialDecay(_RateDecay):
    """Keras ``ExponentialDecay(initial_learning_rate, decay_steps, decay_rate,
    staircase=False)``.

    .. math::
        \\eta_s = \\eta_0 \\cdot r^{p}, \\quad p = s / D \\ (\\lfloor s / D \\rfloor
        \\text{ if staircase})

    where :math:`r` = ``decay_rate`` and :math:`D` = ``decay_steps``; float32 throughout.

    Args:
        initial_learning_rate (float): :math:`\\eta_0`.
        decay_steps (int): D, > 0.
        decay_rate (float): r.
        staircase (bool): decay in whole steps of D. Default: False.

    Example:
        >>> from replay import ExponentialDecay, lr_trajectory
        >>> spec = ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True)
        >>> print(lr_trajectory(spec, 0.0, 4).table(label="step"))
         step  lr
            0  0.1
            1  0.1
            2  0.05
            3  0.05
    """

    def __call__(self, step: IntArray) -> Float32Array:
        lr: Float32Array = _F(self.initial_learning_rate) * _pow(
            _F(self.decay_rate), self._progress(step)
        )
        return lr


@dataclass(frozen=True)
class PiecewiseConstantDecay:
    """Keras ``PiecewiseConstantDecay(boundaries, values)``.

    .. math::
        \\eta_s = v_0 \\ (s \\le b_0), \\quad v_i \\ (b_{i-1} < s \\le b_i), \\quad
        v_{last} \\ (s > b_{last})

    The boundary step itself still uses the earlier value.

    Args:
        boundaries (tuple[int, ...]): increasing step boundaries.
        values (tuple[float, ...]): one more value than boundaries.

    Example:
        >>> from replay import PiecewiseConstantDecay, lr_trajectory
        >>> spec = PiecewiseConstantDecay(boundaries=(1,), values=(1.0, 0.5))
        >>> print(lr_trajectory(spec, 0.0, 3).table(label="step"))
         step  lr
            0  1
            1  1
            2  0.5
    """

    boundaries: tuple[int, ...]
    values: tuple[float, ...]
    framework = "keras"

    def __post_init__(self) -> None:
        object.__setattr__(self, "boundaries", tuple(self.boundaries))
        object.__setattr__(self, "values", tuple(self.values))
        if len(self.boundaries) != len(self.values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: the length of boundaries should be 1 less than the "
                f"length of values, got {len(self.boundaries)} boundaries and "
                f"{len(self.values)} values"
            )

    def __call__(self, step: IntArray) -> Float32Array:
        values = np.asarray(self.values, dtype=_F)
        return values[np.searchsorted(np.asarray(self.boundaries), step, side="left")]


@dataclass(frozen=True)
class PolynomialDecay:
    """Keras ``PolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate=1e-4,
    power=1.0, cycle=False)``.

    .. math::
        \\eta_s = (\\eta_0 - \\eta_{end})(1 - p)^{k} + \\eta_{end}, \\quad
        p = \\min(s, D) / D

    where :math:`k` = ``power``; with ``cycle`` :math:`p = s / D'`,
    :math:`D' = D \\lceil s / D \\rceil` (1 at s = 0), so the LR jumps back up after each
    multiple of D.

    Args:
        initial_learning_rate (float): :math:`\\eta_0`.
        decay_steps (int): D, > 0.
        end_learning_rate (float): Default: 1e-4.
        power (float): Default: 1.0.
        cycle (bool): Default: False.

    Example:
        >>> from replay import PolynomialDecay, lr_trajectory
        >>> spec = PolynomialDecay(1.0, decay_steps=2, end_learning_rate=0.0)
        >>> print(lr_trajectory(spec, 0.0, 4).table(label="step"))
         step  lr
            0  1
            1  0.5
            2  0
            3  0
    """

    initial_learning_rate: float
    decay_steps: int
    end_learning_rate: float = 1e-4
    power: float = 1.0
    cycle: bool = False
    framework = "keras"

    def __post_init__(self) -> None:
        _positive("PolynomialDecay", self.decay_steps)

    def __call__(self, step: IntArray) -> Float32Array:
        lr0, end = _F(self.initial_learning_rate), _F(self.end_learning_rate)
        gs = step.astype(_F)
        ds = np.full(gs.shape, _F(self.decay_steps))
        if self.cycle:
            mult = np.where(gs == 0, _F(1.0), np.ceil(gs / _F(self.decay_steps)))
            ds = ds * mult
        else:
            gs = np.minimum(gs, ds)
        p = gs / ds
        lr: Float32Array = (lr0 - end) * _pow(_F(1) - p, _F(self.power)) + end
        return lr


@dataclass(frozen=True)
class InverseTimeDecay(_RateDecay):
    """Keras ``InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate,
    staircase=False)``.

    .. math::
        \\eta_s = \\frac{\\eta_0}{1 + r p}, \\quad p = s / D \\ (\\text{floored if staircase})

    Args:
        initial_learning_rate (float): :math:`\\eta_0`.
        decay_steps (int): D, > 0.
        decay_rate (float): r.
        staircase (bool): Default: False.

    Example:
        >>> from replay import InverseTimeDecay, lr_trajectory
        >>> spec = InverseTimeDecay(1.0, decay_steps=1, decay_rate=1.0)
        >>> print(lr_trajectory(spec, 0.0, 3).table(label="step"))
         step  lr
            0  1
            1  0.5
            2  0.333333
    """

    def __call__(self, step: IntArray) -> Float32Array:
        p = self._progress(step)
        lr: Float32Array = _F(self.initial_learning_rate) / (_F(1) + _F(self.decay_rate) * p)
        return lr


def _cosine_decay(
    step: Float32Array, decay_steps: np.float32, decay_from: np.float32, alpha: float
) -> Float32Array:
    # keras CosineDecay._decay_function; ``1 - alpha`` is a Python float there.
    cf = step / decay_steps
    decayed = _F(0.5) * (_F(1.0) + _cos(_F(math.pi) * cf))
    lr: Float32Array = decay_from * (_F(1 - alpha) * decayed + _F(alpha))
    return lr


@dataclass(frozen=True)
class CosineDecay:
    """Keras ``CosineDecay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None,
    warmup_steps=0)``.

    .. math::
        \\eta_s = \\eta_0 \\left((1 - \\alpha) \\tfrac{1}{2}(1 + \\cos(\\pi s' / D)) +
        \\alpha\\right), \\quad s' = \\min(s, D)

    Unlike torch it clamps at :math:`\\alpha \\eta_0` after D. With ``warmup_target``: linear
    from :math:`\\eta_0` to the target over W steps, then the cosine from the target.

    Args:
        initial_learning_rate (float): :math:`\\eta_0`.
        decay_steps (int): D, > 0.
        alpha (float): floor as a fraction. Default: 0.0.
        warmup_target (float | None): peak after warm-up. Default: None.
        warmup_steps (int): W. Default: 0.

    Example:
        >>> from replay import CosineDecay, lr_trajectory
        >>> spec = CosineDecay(0.0, decay_steps=2, warmup_target=1.0, warmup_steps=2)
        >>> print(lr_trajectory(spec, 0.0, 6).table(label="step"))
         step  lr
            0  0
            1  0.5
            2  1
            3  0.5
            4  0
            5  0
    """

    initial_learning_rate: float
    decay_steps: int
    alpha: float = 0.0
    warmup_target: float | None = None
    warmup_steps: int = 0
    framework = "keras"

    def __post_init__(self) -> None:
        _positive("CosineDecay", self.decay_steps)

    def __call__(self, step: IntArray) -> Float32Array:
        lr0, ds = _F(self.initial_learning_rate), _F(self.decay_steps)
        gs = step.astype(_F)
        if self.warmup_target is None:
            return _cosine_decay(np.minimum(gs, ds), ds, lr0, self.alpha)
        target, ws = _F(self.warmup_target), _F(self.warmup_steps)
        gs = np.minimum(gs, ds + ws)
        with np.errstate(divide="ignore", invalid="ignore"):
            warm = (target - lr0) * (gs / ws) + lr0
        return np.where(gs < ws, warm, _cosine_decay(gs - ws, ds, target, self.alpha))


@dataclass(frozen=True)
class CosineDecayRestarts:
    """Keras ``CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul=2.0,
    m_mul=1.0, alpha=0.0)`` (SGDR).

    .. math::
        \\eta_s = \\eta_0 \\left((1 - \\alpha) \\tfrac{1}{2} m^{i} (1 + \\cos(\\pi f)) +
        \\alpha\\right)

    where :math:`i` is the restart count and :math:`f` the fraction of the current period
    (periods grow by ``t_mul``, amplitudes by ``m_mul``).

    Restart boundaries: Keras takes :math:`i = \\lfloor \\log(1 - f (1 - t)) / \\log t
    \\rfloor` in float32 (:math:`f = s / D_1`, :math:`t` = ``t_mul``). At a step that starts
    a period exactly, the quotient is an integer in exact arithmetic and the last bit of the
    two float32 logs decides the side. The replay uses correctly rounded logs and lands on the
    mathematically right side, the restart (checked against exact rational arithmetic in the
    tests). Keras on the torch backend uses torch's float32 ``log``, whose last bit depends on
    the CPU, so on some machines it ends the previous period instead: at step 25 of
    ``CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9)`` it gives 0.0 (end of period 1)
    where the replay gives 0.081 (start of period 2). With ``t_mul=1`` the index is
    :math:`\\lfloor f \\rfloor`, the same on every CPU.

    Args:
        initial_learning_rate (float): :math:`\\eta_0`.
        first_decay_steps (int): first period, > 0.
        t_mul (float): period multiplier. Default: 2.0.
        m_mul (float): amplitude multiplier. Default: 1.0.
        alpha (float): floor as a fraction. Default: 0.0.

    Example:
        >>> from replay import CosineDecayRestarts, lr_trajectory
        >>> spec = CosineDecayRestarts(1.0, first_decay_steps=2, t_mul=1.0, m_mul=0.5)
        >>> print(lr_trajectory(spec, 0.0, 5).table(label="step"))
         step  lr
            0  1
            1  0.5
            2  0.5
            3  0.25
            4  0.25
    """

    initial_learning_rate: float
    first_decay_steps: int
    t_mul: float = 2.0
    m_mul: float = 1.0
    alpha: float = 0.0
    framework = "keras"

    def __post_init__(self) -> None:
        _positive("CosineDecayRestarts", self.first_decay_steps)

    def __call__(self, step: IntArray) -> Float32Array:
        return self._at(step, np.floor(self._restart_quotient(step)))

    def _completed(self, step: IntArray) -> Float32Array:
        completed: Float32Array = step.astype(_F) / _F(self.first_decay_steps)
        return completed

    def _restart_quotient(self, step: IntArray) -> Float32Array:
        """The float32 argument of Keras's ``floor`` for the restart count :math:`i`.

        ``s / first_decay_steps`` when ``t_mul == 1`` (exact on every CPU), else
        ``log(1 - f (1 - t_mul)) / log(t_mul)`` with correctly rounded float32 logs.
        """
        t_mul = _F(self.t_mul)
        cf = self._completed(step)
        if t_mul == 1.0:
            return cf
        inner = (_F(1.0) - cf * (_F(1.0) - t_mul)).astype(_F)
        return _log(inner) / _log(t_mul)

    def _at(self, step: IntArray, i: npt.ArrayLike) -> Float32Array:
        """The LR at ``step`` taken to lie in restart period ``i`` (float32, integral)."""
        lr0, alpha = _F(self.initial_learning_rate), _F(self.alpha)
        t_mul, m_mul = _F(self.t_mul), _F(self.m_mul)
        cf = self._completed(step)
        i = np.asarray(i, dtype=_F)
        if t_mul == 1.0:
            cf = cf - i
        else:
            sum_r = (_F(1.0) - _pow(t_mul, i)) / (_F(1.0) - t_mul)
            cf = (cf - sum_r) / _pow(t_mul, i)
        m_fac = _pow(m_mul, i)
        decayed = _F(0.5) * m_fac * (_F(1.0) + _cos(_F(math.pi) * cf))
        lr: Float32Array = lr0 * ((_F(1) - alpha) * decayed + alpha)
        return lr


def _schedule_run(
    spec: KerasSchedule, base_lr: float, n: int, metrics: FloatArray | None
) -> tuple[FloatArray, tuple[Event, ...]]:
    lr = spec(np.arange(n)).astype(np.float64) if n else np.empty(0)
    style = "change" if isinstance(spec, PiecewiseConstantDecay) else "turn"
    return lr, EVENT_STYLES[style](lr, repr(spec))


def _schedule_closed(spec: KerasSchedule, base_lr: float, t: IntArray) -> FloatArray:
    return spec(np.asarray(t)).astype(np.float64)


#: Every Keras schedule spec, in the order of the Keras docs.
KERAS_SCHEDULES: tuple[type[KerasSchedule], ...] = (
    ExponentialDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    InverseTimeDecay,
    CosineDecay,
    CosineDecayRestarts,
)

for _cls in KERAS_SCHEDULES:
    register(_cls, Replayer(run=_schedule_run, closed=_schedule_closed))
