"""``lr_trajectory``: the LR a scheduler spec gives each epoch, under a chosen stepping habit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from replay._registry import REPLAYERS, Replayer, change_events, replayer_for
from replay.types import Event, FloatArray, Trajectory

__all__ = ["STEPPINGS", "lr_trajectory"]


_S = TypeVar("_S")


def _replayer(spec: _S) -> Replayer[_S]:
    try:
        return replayer_for(type(spec))
    except KeyError:
        known = ", ".join(sorted(t.__name__ for t in REPLAYERS))
        raise TypeError(f"no replay for {type(spec).__name__}; known specs: {known}") from None


def metric_driven(spec: object) -> bool:
    """True when ``spec`` is replayed from a metric series (ReduceLROnPlateau)."""
    return _replayer(spec).metric_driven


def _metrics_array(
    rep: Replayer[object], spec: object, metrics: npt.ArrayLike | None, needed: int
) -> FloatArray | None:
    if not rep.metric_driven:
        return None if metrics is None else np.asarray(metrics, dtype=np.float64)
    if metrics is None:
        raise ValueError(f"{type(spec).__name__} needs metrics (one per epoch), got None")
    arr = np.asarray(metrics, dtype=np.float64).ravel()
    if arr.size < needed:
        raise ValueError(
            f"{type(spec).__name__} needs at least {needed} metric values for this replay, "
            f"got {arr.size}"
        )
    return arr


#: ``(replayer, spec, base_lr, n, metrics) -> (lr, events)``: one stepping habit.
StepFn = Callable[
    [Replayer[object], object, float, int, "npt.ArrayLike | None"],
    "tuple[FloatArray, tuple[Event, ...]]",
]


def _standard(
    rep: Replayer[object], spec: object, base_lr: float, n: int, metrics: npt.ArrayLike | None
) -> tuple[FloatArray, tuple[Event, ...]]:
    m = _metrics_array(rep, spec, metrics, max(n - 1, 0))
    return rep.run(spec, base_lr, n, m)


def _step_before(
    rep: Replayer[object], spec: object, base_lr: float, n: int, metrics: npt.ArrayLike | None
) -> tuple[FloatArray, tuple[Event, ...]]:
    # scheduler.step() at the start of epoch e: epoch e trains with schedule(e + 1).
    if rep.metric_driven:
        raise ValueError(
            f"{type(spec).__name__} is stepped with the epoch's metric, so it cannot be "
            "stepped before the epoch; use stepping='standard'"
        )
    lr, events = rep.run(spec, base_lr, n + 1, _metrics_array(rep, spec, metrics, 0))
    shifted = tuple(
        Event(e.index - 1, e.kind, e.before, e.after, e.reason) for e in events if e.index >= 1
    )
    return lr[1:], shifted


def _step_epoch_after(
    rep: Replayer[object], spec: object, base_lr: float, n: int, metrics: npt.ArrayLike | None
) -> tuple[FloatArray, tuple[Event, ...]]:
    # Deprecated scheduler.step(epoch=e) after epoch e: closed form at e, used by epoch e + 1.
    # ReduceLROnPlateau's epoch argument only sets last_epoch, so it replays as standard.
    if rep.metric_driven:
        return _standard(rep, spec, base_lr, n, metrics)
    lr = epoch_after_lr(rep, spec, base_lr, n, metrics)
    name = type(spec).__name__
    return lr, change_events(lr, f"{name} stepped with step(epoch) after the epoch (lags by one)")


def epoch_after_lr(
    rep: Replayer[object], spec: object, base_lr: float, n: int, metrics: npt.ArrayLike | None
) -> FloatArray:
    """The LR of the ``step_epoch_after`` stepping without its events (the schedule inference
    scores many of these and reads only the values)."""
    lr = np.empty(n, dtype=np.float64)
    if n:
        lr[:1] = rep.run(spec, base_lr, 1, _metrics_array(rep, spec, metrics, 0))[0]
    if n > 1 and rep.closed is not None:
        lr[1:] = rep.closed(spec, float(base_lr), np.arange(n - 1))
    elif n > 1 and rep.get_lr is not None:
        # No closed form: torch's step(epoch) runs get_lr() at last_epoch = epoch.
        cur = float(lr[0])
        for e in range(n - 1):
            cur = rep.get_lr(spec, float(base_lr), e, cur, False)
            lr[e + 1] = cur
    elif n > 1:
        raise ValueError(
            f"{type(spec).__name__} has no closed form; "
            "stepping='step_epoch_after' is not replayed for it"
        )
    return lr


#: stepping habit -> how it maps schedule values to epochs.
STEPPINGS: dict[str, StepFn] = {
    "standard": _standard,
    "step_before": _step_before,
    "step_epoch_after": _step_epoch_after,
}


def lr_trajectory(
    spec: object,
    base_lr: float,
    n: int,
    metrics: npt.ArrayLike | None = None,
    *,
    stepping: str = "standard",
) -> Trajectory:
    """Replay a scheduler spec: the LR used while each of ``n`` epochs (or steps) trains.

    Repeats the framework's own float64 operations in its order, carrying the running LR, so
    ``lr`` is bit-identical to what torch puts in ``optimizer.param_groups[0]["lr"]``.

    .. math::
        \\text{lr}[i] = \\eta_i, \\quad i = 0, \\dots, n - 1

    where :math:`\\eta_i` is the value in the optimizer while epoch :math:`i` trains.

    Timing (``stepping``):

    * ``"standard"``: ``for e: train(); optimizer.step(); scheduler.step()`` (plateau:
      ``scheduler.step(metrics[e])``). ``lr[i]`` = schedule(i).
    * ``"step_before"``: ``scheduler.step()`` at the start of each epoch (the pre-1.1 habit):
      epoch ``e`` trains with schedule(e + 1), the first value is skipped.
    * ``"step_epoch_after"``: deprecated ``scheduler.step(epoch=e)`` after epoch ``e``: epoch 0
      trains with the constructor's value, epoch ``e >= 1`` with the closed form at ``e - 1``
      (lags by one).

    Events: an event at ``index=k`` was made by the ``step()`` at the end of epoch ``k``, so
    its ``after`` LR is used from epoch ``k + 1``. ``"reduce"`` = the LR went down (every drop
    of a piecewise-constant schedule, every plateau reduction), ``"restart"`` = a schedule
    turned upward (cosine past ``T_max``).

    Args:
        spec: a frozen spec, e.g. ``StepLR(step_size=30)``; dispatched by type.
        base_lr (float): the optimizer's LR before the scheduler is built.
        n (int): number of epochs (or steps) to replay, >= 0.
        metrics: per-epoch metric series, required for ``ReduceLROnPlateau`` (at least
            ``n - 1`` values; ``metrics[e]`` is passed after epoch ``e``; NaN counts as a bad
            epoch like torch). Default: None.
        stepping (str): ``"standard"``, ``"step_before"`` or ``"step_epoch_after"``.
            Default: ``"standard"``.

    Example:
        >>> from replay import StepLR, lr_trajectory
        >>> traj = lr_trajectory(StepLR(step_size=3), 0.1, 5, stepping="step_before")
        >>> print(traj.table())
        epoch  lr
            0  0.1
            1  0.1
            2  0.01
            3  0.01
            4  0.01
        >>> traj.first("reduce")
        Event(index=1, kind='reduce', before=0.1, after=0.010000000000000002, reason='StepLR(step_size=3, gamma=0.1)')
    """  # noqa: E501
    if int(n) != n or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    try:
        step_fn = STEPPINGS[stepping]
    except KeyError:
        raise ValueError(
            f"stepping must be one of {', '.join(map(repr, STEPPINGS))}, got {stepping!r}"
        ) from None
    lr, events = step_fn(_replayer(spec), spec, float(base_lr), int(n), metrics)
    lr = np.asarray(lr, dtype=np.float64)
    lr.setflags(write=False)
    return Trajectory(lr=lr, events=tuple(events))
