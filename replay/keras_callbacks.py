"""Keras 3 ``ReduceLROnPlateau`` callback: spec and exact float32 replay.

Keras >= 3.11 compares in float32 (``keras.ops``), keeps the LR in a float32 variable,
counts patience one epoch earlier than torch (``wait >= patience``, decremented cooldown),
and starts with ``best = None``. Early stopping lives in :mod:`replay.early_stopping`
(``semantics="keras"``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from replay._registry import EVENT_STYLES, Replayer, register
from replay.types import Event, FloatArray

__all__ = ["KerasLearningRateScheduler", "KerasReduceLROnPlateau"]

_F = np.float32


@dataclass(frozen=True)
class KerasReduceLROnPlateau:
    """``keras.callbacks.ReduceLROnPlateau(monitor, factor=0.1, patience=10, mode, min_delta=1e-4,
    cooldown=0, min_lr=0.0)`` (Keras >= 3.11 semantics; ``mode`` must be explicit here).

    .. math::
        \\text{improved}(a) = f_{32}(a + |\\delta|) < f_{32}(b) \\ (\\text{min}), \\quad
        f_{32}(a - |\\delta|) > f_{32}(b) \\ (\\text{max})

    where :math:`b` is the best value (the first epoch always improves) and :math:`\\delta` =
    ``min_delta`` (absolute). Per epoch end: the cooldown counter is decremented first (and
    resets ``wait``); an improvement resets ``wait``; otherwise, outside cooldown, ``wait += 1``
    and at ``wait >= patience`` the LR becomes :math:`f_{32}(\\max(\\eta \\cdot \\text{factor},
    \\text{min\\_lr}))` if :math:`\\eta > f_{32}(\\text{min\\_lr})`.

    Timing: best at epoch ``k`` then flat ⇒ the reduction happens at the end of epoch
    ``k + max(patience, 1)`` (one epoch earlier than torch), the new LR is used from the next
    epoch; ``lr[e]`` is what ``history["learning_rate"][e]`` logs.

    Args:
        factor (float): must be < 1. Default: 0.1.
        patience (int): Default: 10.
        mode (str): ``"min"`` or ``"max"``. Default: ``"min"``.
        min_delta (float): absolute improvement threshold. Default: 1e-4.
        cooldown (int): Default: 0.
        min_lr (float): Default: 0.0.
        legacy (bool): Keras <= 3.10 and tf.keras 2.x: numpy float64 comparison
            ``a < best - |min_delta|`` and ``best`` starting at +-inf (a NaN first value is
            then just a bad epoch). Default: False.

    Example:
        >>> from replay import KerasReduceLROnPlateau, lr_trajectory
        >>> spec = KerasReduceLROnPlateau(patience=1, factor=0.5)
        >>> print(lr_trajectory(spec, 0.1, 4, [1.0, 1.0, 1.0]).table())
        epoch  lr
            0  0.1
            1  0.1
            2  0.05
            3  0.025
    """

    factor: float = 0.1
    patience: int = 10
    mode: str = "min"
    min_delta: float = 1e-4
    cooldown: int = 0
    min_lr: float = 0.0
    legacy: bool = False
    framework = "keras"

    def __post_init__(self) -> None:
        if self.factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0, got factor={self.factor!r}"
            )
        if self.mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau mode must be 'min' or 'max', got {self.mode!r}")


def _improved(spec: KerasReduceLROnPlateau, current: float, best: float | None) -> bool:
    if spec.legacy:  # tf.keras 2.x: np.less(a, b - min_delta) / np.greater(a, b + min_delta)
        if best is None:
            raise ValueError("legacy Keras ReduceLROnPlateau starts from best = +-inf, not None")
        d = abs(spec.min_delta)
        return bool(current < best - d) if spec.mode == "min" else bool(current > best + d)
    if best is None:
        return True
    delta = -abs(spec.min_delta) if spec.mode == "min" else abs(spec.min_delta)
    a, b = _F(current - delta), _F(best)
    return bool(a < b) if spec.mode == "min" else bool(a > b)


def _keras_plateau_run(
    spec: KerasReduceLROnPlateau, base_lr: float, n: int, metrics: FloatArray | None
) -> tuple[FloatArray, tuple[Event, ...]]:
    if metrics is None:
        raise ValueError(f"{type(spec).__name__} needs metrics (one per epoch), got None")
    lr = float(_F(base_lr))
    out = [lr]
    events: list[Event] = []
    wait, cooldown_counter = 0, 0
    best: float | None = None  # Keras >= 3.11; older versions start from +-inf
    if spec.legacy:
        best = float("inf") if spec.mode == "min" else float("-inf")
    for epoch, current in enumerate(np.asarray(metrics, dtype=np.float64)[: max(n - 1, 0)]):
        current = float(current)
        if cooldown_counter > 0:
            cooldown_counter -= 1
            wait = 0
        if _improved(spec, current, best):
            best, wait = current, 0
        elif cooldown_counter <= 0:
            wait += 1
            if wait >= spec.patience and lr > _F(spec.min_lr):
                new = float(_F(max(lr * spec.factor, spec.min_lr)))
                reason = f"no improvement beyond min_delta for {wait} epochs (best {best:.6g})"
                events.append(Event(epoch, "reduce", lr, new, reason))
                lr, cooldown_counter, wait = new, spec.cooldown, 0
        out.append(lr)
    return np.array(out[:n], dtype=np.float64), tuple(events)


register(
    KerasReduceLROnPlateau,
    Replayer(run=_keras_plateau_run, metric_driven=True, events="change"),
)


@dataclass(frozen=True)
class KerasLearningRateScheduler:
    """``keras.callbacks.LearningRateScheduler(schedule)``: the LR set at each epoch start.

    .. math::
        \\eta_e = f_{32}(\text{schedule}(e, \\eta_{e-1})), \\quad \\eta_{-1} = f_{32}(\\eta_0)

    where :math:`\\eta_0` is the optimizer's LR; ``schedule(epoch)`` alone is called when the
    two-argument call raises TypeError (the old API). The LR variable is float32.

    Timing: ``on_epoch_begin(e)`` sets the LR that epoch ``e`` (0-based) trains with, so
    ``lr[e]`` is what ``history["learning_rate"][e]`` logs.

    Args:
        schedule (Callable): ``(epoch, lr) -> lr`` or ``epoch -> lr``; must return a float.

    Example:
        >>> from replay import KerasLearningRateScheduler, lr_trajectory
        >>> spec = KerasLearningRateScheduler(lambda e, lr: lr if e < 2 else lr * 0.5)
        >>> print(lr_trajectory(spec, 0.1, 4).table())
        epoch  lr
            0  0.1
            1  0.1
            2  0.05
            3  0.025
    """

    schedule: Callable[..., object]
    framework = "keras"

    def __post_init__(self) -> None:
        if not callable(self.schedule):
            raise TypeError(
                f"LearningRateScheduler schedule must be callable, got {self.schedule!r}"
            )


def _keras_scheduler_run(
    spec: KerasLearningRateScheduler, base_lr: float, n: int, metrics: FloatArray | None
) -> tuple[FloatArray, tuple[Event, ...]]:
    lr = float(_F(base_lr))
    out: list[float] = []
    for epoch in range(n):
        try:
            value = spec.schedule(epoch, lr)
        except TypeError:
            value = spec.schedule(epoch)
        if not isinstance(value, (float, np.float32, np.float64)):
            raise ValueError(
                f"The output of the `schedule` function should be a float, got {value!r}"
            )
        lr = float(_F(value))
        out.append(lr)
    lr_arr = np.array(out, dtype=np.float64)
    return lr_arr, EVENT_STYLES["change"](lr_arr, repr(spec))


register(KerasLearningRateScheduler, Replayer(run=_keras_scheduler_run, events="change"))
