"""Hugging Face transformers ``get_scheduler`` schedules and the offset of the logged LR.

Every ``lr_scheduler_type`` except ``reduce_lr_on_plateau`` and ``greedy`` is a torch
``LambdaLR``: ``lr(s) = base_lr * lambda(s)`` in float64, with ``s`` = optimizer updates so
far. The lambdas below repeat ``transformers/optimization.py`` (5.x) expression for
expression, so the replay is bit-identical. The Trainer steps the scheduler once per
optimizer update (not on skipped fp16 steps).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt

from replay import _fmath as _fm
from replay._registry import Replayer, register, replayer_for, restart_events
from replay.torch_decays import LambdaLR
from replay.types import Event, FloatArray, IntArray

__all__ = ["HF_SCHEDULER_TYPES", "HFScheduler", "hf_logged_learning_rate"]


def _warmup(s: int, w: int) -> float:
    return float(s) / float(max(1, w))


def _linear(s: int, *, w: int, T: int, **_: object) -> float:
    if s < w:
        return _warmup(s, w)
    return max(0.0, float(T - s) / float(max(1, T - w)))


def _cosine(
    s: int, *, w: int, T: int, num_cycles: float, min_lr_rate: float = 0.0, **_: object
) -> float:
    # transformers defines _get_cosine_schedule_with_warmup_lr_lambda twice; the second
    # (min_lr_rate) definition is the one both "cosine" and "cosine_with_min_lr" call.
    if s < w:
        return _warmup(s, w)
    progress = float(s - w) / float(max(1, T - w))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return max(0, factor)


def _cosine_with_restarts(s: int, *, w: int, T: int, num_cycles: float, **_: object) -> float:
    if s < w:
        return _warmup(s, w)
    progress = float(s - w) / float(max(1, T - w))
    if progress >= 1.0:
        return 0.0
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(num_cycles) * progress) % 1.0))))


def _polynomial(
    s: int, *, w: int, T: int, lr_end: float, power: float, lr_init: float, **_: object
) -> float:
    if s < w:
        return _warmup(s, w)
    if s > T:
        return lr_end / lr_init
    lr_range = lr_init - lr_end
    decay_steps = T - w
    pct_remaining = 1 - (s - w) / decay_steps
    # float ** float is typed Any (a negative base gives a complex); w <= s <= T here, so
    # pct_remaining is in [0, 1]
    decay: float = lr_range * pct_remaining**power + lr_end
    return decay / lr_init


def _constant(s: int, **_: object) -> float:
    return 1


def _constant_with_warmup(s: int, *, w: int, **_: object) -> float:
    if s < w:
        return float(s) / float(max(1.0, w))
    return 1.0


def _inverse_sqrt(s: int, *, w: int, timescale: int, **_: object) -> float:
    if s < w:
        return _warmup(s, w)
    shift = timescale - w
    return 1.0 / math.sqrt((s + shift) / timescale)


def _cosine_warmup_with_min_lr(
    s: float,
    *,
    w: float,
    T: float,
    num_cycles: float,
    min_lr_rate: float,
    warmup_lr_rate: float | None,
    **_: object,
) -> float:
    s, w, T = float(s), float(w), float(T)
    if s < w:
        if warmup_lr_rate is None:
            return (s + 1.0) / max(1.0, w)
        warmup_lr_rate = float(warmup_lr_rate)
        return warmup_lr_rate + (1.0 - warmup_lr_rate) * (s) / (max(1, w - 1))
    progress = (s - w + 1.0) / (max(1.0, T - w))
    factor = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return max(0, factor)


_SHAPES: dict[str, Callable[[float], float]] = {
    "linear": lambda p: p,
    "cosine": lambda p: 0.5 * (1.0 - math.cos(math.pi * p)),
    "1-sqrt": lambda p: 1.0 - math.sqrt(1.0 - p),
}
_DECAYS: dict[str, Callable[[float, float], float]] = {
    "linear": lambda p, c: 1.0 - p,
    "cosine": lambda p, c: 0.5 * (1.0 + math.cos(math.pi * float(c) * 2.0 * p)),
    "1-sqrt": lambda p, c: 1.0 - math.sqrt(p),
}


def _wsd(
    s: int,
    *,
    w: int,
    stable: int,
    decay: int,
    warmup_type: str,
    decay_type: str,
    min_lr_ratio: float,
    num_cycles: float,
    **_: object,
) -> float:
    if s < w:
        factor = _SHAPES[warmup_type](float(s) / float(max(1, w)))
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    if s < w + stable:
        return 1.0
    if s < w + stable + decay:
        progress = float(s - w - stable) / float(max(1, decay))
        factor = _DECAYS[decay_type](progress, num_cycles)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    return min_lr_ratio


#: lr_scheduler_type -> lambda(step, **parameters).
HF_SCHEDULER_TYPES: dict[str, Callable[..., float]] = {
    "linear": _linear,
    "cosine": _cosine,
    "cosine_with_restarts": _cosine_with_restarts,
    "polynomial": _polynomial,
    "constant": _constant,
    "constant_with_warmup": _constant_with_warmup,
    "inverse_sqrt": _inverse_sqrt,
    "cosine_with_min_lr": _cosine,
    "cosine_warmup_with_min_lr": _cosine_warmup_with_min_lr,
    "warmup_stable_decay": _wsd,
}
_NEEDS_T = {"linear", "cosine", "cosine_with_restarts", "polynomial", "cosine_with_min_lr",
            "cosine_warmup_with_min_lr"}  # fmt: skip
_DEFAULT_CYCLES = {"cosine_with_restarts": 1}


@dataclass(frozen=True)
class HFScheduler:
    """transformers ``get_scheduler(lr_scheduler_type, optimizer, num_warmup_steps,
    num_training_steps, scheduler_specific_kwargs)`` for every LambdaLR type.

    .. math::
        \\eta_s = \\eta_0 \\cdot \\lambda(s)

    where :math:`s` counts optimizer updates and :math:`\\lambda` is the type's lambda, e.g.
    ``linear``: :math:`s/W` for :math:`s < W`, else :math:`\\max(0, (T - s)/(T - W))`, with
    :math:`W` = ``num_warmup_steps`` and :math:`T` = ``num_training_steps``.

    Timing: ``lr[s]`` trains update ``s`` (0-based), so with warm-up the first update runs at
    LR 0. The Trainer logs it at ``global_step = s + 1`` from 4.51 on and ``lr[s + 1]`` before
    (see :func:`hf_logged_learning_rate`). ``reduce_lr_on_plateau`` is torch's
    :class:`replay.ReduceLROnPlateau` stepped once per evaluation; ``greedy`` is not replayed.

    Args:
        lr_scheduler_type (str): one of :data:`HF_SCHEDULER_TYPES`.
        num_warmup_steps (int): W. Default: 0.
        num_training_steps (int | None): T (required by the decaying types). Default: None.
        num_cycles (float | None): cosine waves; None = the type's default (1 for
            ``cosine_with_restarts``, else 0.5). Default: None.
        lr_end (float): ``polynomial`` end LR. Default: 1e-7.
        power (float): ``polynomial`` power. Default: 1.0.
        timescale (int | None): ``inverse_sqrt``; None = W or 10000. Default: None.
        min_lr (float | None): ``cosine_*_min_lr`` floor. Default: None.
        min_lr_rate (float | None): the floor as a ratio of the LR. Default: None.
        warmup_lr_rate (float | None): ``cosine_warmup_with_min_lr`` warm-up start. Default: None.
        num_decay_steps (int | None): ``warmup_stable_decay`` decay length. Default: None.
        num_stable_steps (int | None): ``warmup_stable_decay``; None = T - W - decay.
            Default: None.
        warmup_type (str): ``warmup_stable_decay``. Default: ``"linear"``.
        decay_type (str): ``warmup_stable_decay``. Default: ``"cosine"``.
        min_lr_ratio (float): ``warmup_stable_decay`` floor. Default: 0.0.

    Example:
        >>> from replay import HFScheduler, lr_trajectory
        >>> spec = HFScheduler("linear", num_warmup_steps=2, num_training_steps=10)
        >>> print(lr_trajectory(spec, 10.0, 5).table(label="step"))
         step  lr
            0  0
            1  5
            2  10
            3  8.75
            4  7.5
    """

    lr_scheduler_type: str
    num_warmup_steps: int = 0
    num_training_steps: int | None = None
    num_cycles: float | None = None
    lr_end: float = 1e-7
    power: float = 1.0
    timescale: int | None = None
    min_lr: float | None = None
    min_lr_rate: float | None = None
    warmup_lr_rate: float | None = None
    num_decay_steps: int | None = None
    num_stable_steps: int | None = None
    warmup_type: str = "linear"
    decay_type: str = "cosine"
    min_lr_ratio: float = 0.0
    framework = "hf"

    def __post_init__(self) -> None:
        kind = self.lr_scheduler_type
        if kind == "reduce_lr_on_plateau":
            raise ValueError(
                "HF 'reduce_lr_on_plateau' is torch ReduceLROnPlateau stepped once per "
                "evaluation: use replay.ReduceLROnPlateau with the eval metric series"
            )
        if kind not in HF_SCHEDULER_TYPES:
            raise ValueError(
                f"lr_scheduler_type must be one of {', '.join(HF_SCHEDULER_TYPES)}, got {kind!r}"
            )
        if kind in _NEEDS_T and self.num_training_steps is None:
            raise ValueError(f"{kind} requires `num_training_steps`, please provide that argument.")
        if kind == "warmup_stable_decay" and self.num_decay_steps is None:
            raise ValueError("warmup_stable_decay requires num_decay_steps")
        if kind == "warmup_stable_decay" and (
            self.num_training_steps is None and self.num_stable_steps is None
        ):
            raise ValueError("Either num_training_steps or num_stable_steps must be specified.")
        for name in ("warmup_type", "decay_type"):
            if getattr(self, name) not in _SHAPES:
                raise ValueError(
                    f"{name} must be 'linear', 'cosine' or '1-sqrt', got {getattr(self, name)!r}"
                )
        if kind in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
            if self.min_lr is not None and self.min_lr_rate is not None:
                raise ValueError("Only one of min_lr or min_lr_rate should be set")
            if self.min_lr is None and self.min_lr_rate is None:
                raise ValueError("One of min_lr or min_lr_rate should be set")

    def lr_lambda(self, base_lr: float) -> partial[float]:
        """The lambda transformers builds for an optimizer whose ``defaults['lr']`` is
        ``base_lr`` (polynomial and min-lr types read it): ``lambda(step) -> factor``, a
        partial of the type's function whose ``keywords`` are the type's parameters."""
        kind, w, T = self.lr_scheduler_type, self.num_warmup_steps, self.num_training_steps
        cycles = self.num_cycles if self.num_cycles is not None else _DEFAULT_CYCLES.get(kind, 0.5)
        params: dict[str, object] = {"w": w, "T": T, "num_cycles": cycles}
        if kind == "polynomial":
            if not (base_lr > self.lr_end):
                raise ValueError(
                    f"lr_end ({self.lr_end}) must be smaller than initial lr ({base_lr})"
                )
            params.update(lr_end=self.lr_end, power=self.power, lr_init=base_lr)
        elif kind == "inverse_sqrt":
            params["timescale"] = self.timescale if self.timescale is not None else (w or 10_000)
        elif kind in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
            rate = self.min_lr / base_lr if self.min_lr is not None else self.min_lr_rate
            params.update(min_lr_rate=rate, warmup_lr_rate=self.warmup_lr_rate)
        elif kind == "warmup_stable_decay":
            stable = self.num_stable_steps
            if stable is None:
                # __post_init__ refuses both; checked again for the arithmetic
                if self.num_decay_steps is None:
                    raise ValueError("warmup_stable_decay requires num_decay_steps")
                if T is None:
                    raise ValueError(
                        "Either num_training_steps or num_stable_steps must be specified."
                    )
                stable = T - w - self.num_decay_steps
            params.update(
                stable=stable,
                decay=self.num_decay_steps,
                warmup_type=self.warmup_type,
                decay_type=self.decay_type,
                min_lr_ratio=self.min_lr_ratio,
            )
        return partial(HF_SCHEDULER_TYPES[kind], **params)


def _v_warmup(s: FloatArray, w: int, after: FloatArray) -> FloatArray:
    return np.where(s < w, s / float(max(1, w)), after)


def _v_linear(s: FloatArray, *, w: int, T: int, **_: object) -> FloatArray:
    return _v_warmup(s, w, np.maximum(0.0, (T - s) / float(max(1, T - w))))


def _v_cosine(
    s: FloatArray, *, w: int, T: int, num_cycles: float, min_lr_rate: float = 0.0, **_: object
) -> FloatArray:
    progress = (s - w) / float(max(1, T - w))
    factor = 0.5 * (1.0 + _fm.cos(math.pi * float(num_cycles) * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return _v_warmup(s, w, np.maximum(0, factor))


def _v_constant_with_warmup(s: FloatArray, *, w: int, **_: object) -> FloatArray:
    return np.where(s < w, s / float(max(1.0, w)), 1.0)


#: Vectorised lambdas (same float64 operations as the scalar ones, checked against them).
_VECTOR: dict[str, Callable[..., FloatArray]] = {
    "linear": _v_linear,
    "cosine": _v_cosine,
    "cosine_with_min_lr": _v_cosine,
    "constant": lambda s, **_: np.ones(s.shape),
    "constant_with_warmup": _v_constant_with_warmup,
}


def _hf_run(
    spec: HFScheduler, base_lr: float, n: int, metrics: FloatArray | None
) -> tuple[FloatArray, tuple[Event, ...]]:
    lam = spec.lr_lambda(base_lr)
    vector = _VECTOR.get(spec.lr_scheduler_type)
    if vector is None:
        return replayer_for(LambdaLR).run(LambdaLR(lam), base_lr, n, metrics)
    lr = base_lr * vector(np.arange(n, dtype=np.float64), **lam.keywords)
    return lr, restart_events(lr, repr(spec))


def _hf_closed(spec: HFScheduler, base_lr: float, t: IntArray) -> FloatArray:
    closed = replayer_for(LambdaLR).closed
    if closed is None:
        raise TypeError("the LambdaLR replay has no closed form")
    return closed(LambdaLR(spec.lr_lambda(base_lr)), base_lr, t)


def hf_logged_learning_rate(
    lr: npt.ArrayLike,
    global_steps: npt.ArrayLike,
    *,
    transformers_version: str = "4.51",
    skipped: npt.ArrayLike | None = None,
) -> FloatArray:
    """The ``learning_rate`` the HF Trainer logs at each (1-based) ``global_step``.

    .. math::
        \\ell_g = \\text{lr}[s_g] \\ (\\ge 4.51), \\qquad
        \\ell_g = \\text{lr}[s_g + 1 - k_g] \\ (\\le 4.50)

    where :math:`s_g` is the number of scheduler steps before update :math:`g` (``g - 1``
    without skipped updates) and :math:`k_g` is 1 if update :math:`g` was skipped. transformers
    4.51 (PR #36973) reads the LR before the scheduler step, so the log holds the LR used by
    update ``g``; up to 4.50 it was read after the step (the next update's LR). Updates the
    fp16 GradScaler skipped do not step the scheduler, but ``global_step`` still counts them.

    Args:
        lr: the replayed LR per scheduler step (``lr_trajectory(...).lr``), long enough for
            the requested steps (one more for old versions).
        global_steps: the logged ``step`` values (1-based).
        transformers_version (str): the version that wrote the log. Default: ``"4.51"``.
        skipped: optional booleans, one per update (index ``g - 1``): True where the optimizer
            step was skipped. Default: None (no skipped updates).

    Example:
        >>> from replay import HFScheduler, hf_logged_learning_rate, lr_trajectory
        >>> lr = lr_trajectory(HFScheduler("linear", 2, 10), 1e-2, 11).lr
        >>> hf_logged_learning_rate(lr, [1, 2, 3]).tolist()
        [0.0, 0.005, 0.01]
        >>> hf_logged_learning_rate(lr, [1, 2, 3], transformers_version="4.50.3").tolist()
        [0.005, 0.01, 0.00875]
        >>> hf_logged_learning_rate(lr, [1, 2, 3], skipped=[True, False, False]).tolist()
        [0.0, 0.0, 0.005]
    """
    parts = tuple(int(p) for p in transformers_version.split(".")[:2] if p.isdigit())
    steps = np.asarray(global_steps, dtype=np.int64)
    if steps.size and steps.min() < 1:
        raise ValueError(f"global_steps are 1-based, got {int(steps.min())}")
    top = int(steps.max()) if steps.size else 0
    skip = np.zeros(top, dtype=bool)
    if skipped is not None:
        given = np.asarray(skipped, dtype=bool).ravel()[:top]
        skip[: given.size] = given
    before = np.concatenate(([0], np.cumsum(~skip)))[:top]  # scheduler steps before update g
    index = before[steps - 1]
    if parts < (4, 51):
        index = index + ~skip[steps - 1]
    return np.asarray(lr, dtype=np.float64)[index]


register(HFScheduler, Replayer(run=_hf_run, closed=_hf_closed))
