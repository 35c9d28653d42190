"""The table that maps a spec type to its replayer (filled by the modules that define them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from replay.types import Event

#: ``run(spec, base_lr, n, metrics) -> (lr, events)``: the LR used at indices ``0..n-1`` in the
#: canonical loop (``train(); optimizer.step(); scheduler.step()``), with its events.
RunFn = Callable[[object, float, int, "np.ndarray | None"], "tuple[np.ndarray, tuple[Event, ...]]"]
#: ``closed(spec, base_lr, t) -> lr``: torch's ``_get_closed_form_lr`` at each integer ``t``.
ClosedFn = Callable[[object, float, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Replayer:
    """How to replay one spec type.

    ``closed`` is None when the framework has no closed form (``step(epoch)`` then falls back to
    the recursive form). ``metric_driven`` marks state machines over a metric series
    (ReduceLROnPlateau): they need ``metrics`` and ignore the epoch argument of ``step``.
    """

    run: RunFn
    closed: ClosedFn | None = None
    metric_driven: bool = False


REPLAYERS: dict[type, Replayer] = {}


def register(spec_type: type, replayer: Replayer) -> None:
    """Make ``lr_trajectory`` replay ``spec_type`` with ``replayer``."""
    REPLAYERS[spec_type] = replayer


def change_events(lr: np.ndarray, reason: str) -> tuple[Event, ...]:
    """One event per index ``k`` where ``lr[k+1] != lr[k]`` (a step between epochs k and k+1).

    A drop is ``"reduce"``, a rise ``"restart"``. Use for piecewise-constant schedules.
    """
    idx = np.flatnonzero(lr[1:] != lr[:-1])
    return tuple(
        Event(
            index=int(k),
            kind="reduce" if lr[k + 1] < lr[k] else "restart",
            before=float(lr[k]),
            after=float(lr[k + 1]),
            reason=reason,
        )
        for k in idx
    )


def restart_events(lr: np.ndarray, reason: str) -> tuple[Event, ...]:
    """``"restart"`` events where a smooth schedule turns upward (``lr[k+1] > lr[k]`` after a
    non-rising step). Every other change of a smooth schedule is not an event.
    """
    up = lr[1:] > lr[:-1]
    starts = up & np.concatenate(([True], ~up[:-1])) if up.size else up
    return tuple(
        Event(
            index=int(k),
            kind="restart",
            before=float(lr[k]),
            after=float(lr[k + 1]),
            reason=reason,
        )
        for k in np.flatnonzero(starts)
    )
