"""The Ultralytics (YOLOv8/YOLO11, YOLOv5) trainer's LR: its epoch schedule with the
per-iteration warm-up, as ``results.csv`` logs it in ``lr/pg0``, ``lr/pg1``, ``lr/pg2``.

Read from ``ultralytics/engine/trainer.py`` (``_setup_scheduler``, ``_do_train``) of the
releases 8.0.200, 8.1.0, 8.3.0, 8.3.100, 8.4.0 and 8.4.190, ``one_cycle`` in
``ultralytics/utils/torch_utils.py``, and YOLOv5 7.0's ``train.py`` (the ``yolov5`` 7.0.14
package):

- the schedule is a torch ``LambdaLR`` stepped once per epoch with ``lf(x)``, linear
  ``max(1 - x/epochs, 0) * (1 - lrf) + lrf`` or, with ``cos_lr``, ``one_cycle(1, lrf,
  epochs)``: ``max((1 - cos(x*pi/epochs))/2, 0) * (lrf - 1) + 1``;
- the warm-up overrides every group's LR at each batch ``ni = i + nb*epoch`` while
  ``ni <= nw``: ``np.interp(ni, [0, nw], [start, initial_lr * lf(epoch)])``, where ``start``
  is ``warmup_bias_lr`` for the bias group and 0 for the others (``optimizer=auto`` sets
  ``warmup_bias_lr`` to 0);
- ``lr/pg*`` is each group's LR after the epoch's last batch. Up to 8.1.0 (and in YOLOv5)
  the scheduler steps after that record, at the end of the epoch, and ``last_epoch`` was
  reset to ``start_epoch - 1`` first, so epoch ``e`` trains with ``lf(e - 1)`` once the
  warm-up is over (``stepped="end"``); from 8.3.0 on it steps at the start of the epoch,
  so epoch ``e`` trains with ``lf(e)`` (``stepped="start"``);
- ``nw``, the warm-up iterations: ``max(round(warmup_epochs * nb), 100)`` up to 8.4.0 (YOLOv5
  too); ``round(min(warmup_epochs, epochs - 1) * nb)`` in 8.4.190 (:func:`warmup_iterations`).

Where this stops being exact: the replay needs ``nb`` (batches per epoch) and ``nw`` for the
warm-up epochs; without them (``nb=0``) only the epochs after the warm-up are exact. Runs
with ``time=`` (epochs re-estimated each epoch), an out-of-memory retry or a NaN recovery
(an epoch redone) or a resume in the warm-up are not modelled. MuSGD's boosted head groups
(``lr0 * 3``) are groups with their own base LR: replay each from its own ``initial_lr``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from replay._registry import Replayer, register, restart_events
from replay.types import Event, FloatArray

__all__ = [
    "ULTRALYTICS_KINDS",
    "UltralyticsSchedule",
    "ultralytics_call",
    "ultralytics_lf",
    "warmup_iterations",
]

#: the ``lf`` of ``_setup_scheduler``: ``cos_lr: False`` -> linear, ``cos_lr: True`` -> cos
ULTRALYTICS_KINDS = ("linear", "cos")
STEPPED = ("start", "end")


def ultralytics_lf(kind: str, x: int, epochs: int, lrf: float) -> float:
    """``lf(x)``, the factor of ``initial_lr`` at epoch ``x`` (Python floats, the trainer's
    operation order)."""
    if kind == "linear":
        return max(1 - x / epochs, 0) * (1.0 - lrf) + lrf
    return max((1 - math.cos(x * math.pi / epochs)) / 2, 0) * (lrf - 1) + 1


def warmup_iterations(warmup_epochs: float, nb: int, epochs: int, *, floor: bool = True) -> int:
    """``nw``: ``max(round(warmup_epochs * nb), 100)`` (``floor``: YOLOv5, Ultralytics up to
    8.4.0) or ``round(min(warmup_epochs, max(epochs - 1, 0)) * nb)`` (8.4.190); 0 without
    warm-up."""
    if floor:
        return max(round(warmup_epochs * nb), 100) if warmup_epochs > 0 else 0
    capped = min(warmup_epochs, max(epochs - 1, 0))
    return round(capped * nb) if capped > 0 else 0


@dataclass(frozen=True)
class UltralyticsSchedule:
    """The Ultralytics trainer's LR for one parameter group, per epoch as ``results.csv``
    logs it (``lr/pg*``): the base LR is the group's ``initial_lr`` (``lr0``, or the one
    ``optimizer=auto`` chose).

    .. math::
        \\ell_e = \\begin{cases}
        \\text{interp}(\\min((e+1) n_b - 1, n_w), [0, n_w], [s, \\eta_0 \\, lf(e)])
            & e \\, n_b \\le n_w \\\\
        \\eta_0 \\, lf(e) & \\text{stepped at the start} \\\\
        \\eta_0 \\, lf(\\max(e - 1, 0)) & \\text{stepped at the end}
        \\end{cases}

    where :math:`s` is ``warmup_bias_lr`` for the bias group and 0 for the others.

    Args:
        kind (str): ``"linear"`` (``cos_lr: False``) or ``"cos"`` (``cos_lr: True``).
        epochs (int): ``epochs`` of the run (the schedule's length, not the logged count).
        lrf (float): final LR fraction. Default: 0.01.
        nb (int): batches per epoch (``len(train_loader)``); 0 when unknown. Default: 0.
        nw (int): warm-up iterations (:func:`warmup_iterations`); 0: no warm-up replayed.
            Default: 0.
        warmup_bias_lr (float): the bias group's warm-up start. Default: 0.1.
        bias (bool): replay the bias group (its warm-up falls from ``warmup_bias_lr``).
            Default: False.
        stepped (str): ``"start"`` (8.3.0 on) or ``"end"`` (YOLOv5, up to 8.1.0). Default:
            ``"start"``.

    Example:
        >>> from replay import UltralyticsSchedule, lr_trajectory
        >>> spec = UltralyticsSchedule("linear", 10, nb=50, nw=100)
        >>> [round(v, 6) for v in lr_trajectory(spec, 0.01, 4).lr.tolist()]
        [0.0049, 0.00892, 0.00802, 0.00703]
    """

    kind: str
    epochs: int
    lrf: float = 0.01
    nb: int = 0
    nw: int = 0
    warmup_bias_lr: float = 0.1
    bias: bool = False
    stepped: str = "start"
    framework = "ultralytics"

    def __post_init__(self) -> None:
        if self.kind not in ULTRALYTICS_KINDS:
            raise ValueError(f"kind must be 'linear' or 'cos', got {self.kind!r}")
        if self.stepped not in STEPPED:
            raise ValueError(f"stepped must be 'start' or 'end', got {self.stepped!r}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if self.nb < 0 or self.nw < 0:
            raise ValueError(f"nb and nw cannot be negative, got nb={self.nb}, nw={self.nw}")
        if self.nw > 0 and self.nb == 0:
            raise ValueError("a warm-up (nw > 0) needs nb, the batches per epoch")

    def lf(self, x: int) -> float:
        """The schedule's factor at epoch ``x``."""
        return ultralytics_lf(self.kind, x, self.epochs, self.lrf)

    def warmup_epochs(self) -> int:
        """How many epochs start inside the warm-up (``e * nb <= nw``)."""
        return self.nw // self.nb + 1 if self.nw > 0 else 0

    def logged(self, base_lr: float, e: int) -> float:
        """The group's LR after the last batch of epoch ``e``."""
        if self.nw > 0 and e * self.nb <= self.nw:
            start = self.warmup_bias_lr if self.bias else 0.0
            last = min((e + 1) * self.nb - 1, self.nw)
            return float(np.interp(last, [0, self.nw], [start, base_lr * self.lf(e)]))
        x = e if self.stepped == "start" else max(e - 1, 0)
        return base_lr * self.lf(x)


def _run(
    spec: UltralyticsSchedule, base_lr: float, n: int, metrics: FloatArray | None
) -> tuple[FloatArray, tuple[Event, ...]]:
    lr = np.array([spec.logged(base_lr, e) for e in range(n)], dtype=np.float64)
    return lr, restart_events(lr, repr(spec))


def ultralytics_call(kind: str) -> Callable[..., UltralyticsSchedule]:
    """``ultralytics:linear(epochs, ...)`` / ``ultralytics:cos(...)``: the spec of that kind."""

    def build(epochs: int, lrf: float = 0.01, nb: int = 0, nw: int = 0,
              warmup_bias_lr: float = 0.1, bias: bool = False,
              stepped: str = "start") -> UltralyticsSchedule:
        return UltralyticsSchedule(kind, epochs, lrf, nb, nw, warmup_bias_lr, bias, stepped)

    build.__name__ = build.__qualname__ = kind
    return build


register(UltralyticsSchedule, Replayer(run=_run))
