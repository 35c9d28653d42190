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


#: torch ``get_lr`` for one param group: ``(spec, base_lr, t, cur, initial) -> lr``, where
#: ``t`` is ``last_epoch`` after the increment, ``cur`` the group's LR before the step and
#: ``initial`` torch's ``_is_initial`` (the constructor's step).
GetLrFn = Callable[[object, float, int, float, bool], float]
#: ``run_from(spec, base_lr, n, start) -> lr``: ``lr[0] = start`` and the recursive steps
#: ``t = 1..n-1`` from there (a vectorised form of repeated ``get_lr``).
RunFromFn = Callable[[object, float, int, float], np.ndarray]


@dataclass(frozen=True)
class Replayer:
    """How to replay one spec type.

    ``closed`` is None when the framework has no closed form (``step(epoch)`` then falls back to
    the recursive form). ``metric_driven`` marks state machines over a metric series
    (ReduceLROnPlateau): they need ``metrics`` and ignore the epoch argument of ``step``.
    ``get_lr`` and ``run_from`` let composites (SequentialLR, ChainedScheduler) drive a child.
    """

    run: RunFn
    closed: ClosedFn | None = None
    metric_driven: bool = False
    get_lr: GetLrFn | None = None
    run_from: RunFromFn | None = None
    events: str = "turn"

    def restart_value(self, spec, base_lr: float, cur: float) -> float:
        """torch ``_update_lr(0)`` (SequentialLR at a milestone): the closed form at 0 when the
        class has one, else ``get_lr`` at ``last_epoch = 0`` outside the initial step."""
        if self.closed is not None:
            return float(self.closed(spec, base_lr, np.zeros(1, dtype=np.int64))[0])
        return self.get_lr(spec, base_lr, 0, cur, False)

    def continue_from(self, spec, base_lr: float, n: int, start: float) -> np.ndarray:
        """``lr[0] = start`` then the recursive steps ``t = 1..n-1``."""
        if self.run_from is not None:
            return self.run_from(spec, base_lr, n, start)
        return loop_get_lr(self.get_lr, spec, base_lr, n, start)


REPLAYERS: dict[type, Replayer] = {}


def loop_get_lr(get_lr: GetLrFn, spec, base_lr: float, n: int, start: float) -> np.ndarray:
    """Repeat ``get_lr`` for ``t = 1..n-1`` from ``lr[0] = start`` (scalar float64 loop)."""
    out = [start]
    cur = start
    for t in range(1, n):
        cur = get_lr(spec, base_lr, t, cur, False)
        out.append(cur)
    return np.array(out[:n], dtype=np.float64)


def torch_replayer(
    get_lr: GetLrFn,
    closed: ClosedFn | None = None,
    run_from: RunFromFn | None = None,
    events: str = "turn",
) -> Replayer:
    """A Replayer for a torch ``LRScheduler`` subclass from its ``get_lr`` (and optional
    closed and vectorised forms): the constructor's initial step at ``t = 0``, then ``run_from``.
    """

    def run(spec, base_lr, n, metrics):
        start = get_lr(spec, base_lr, 0, base_lr, True)
        lr = (
            run_from(spec, base_lr, n, start)
            if run_from is not None
            else loop_get_lr(get_lr, spec, base_lr, n, start)
        )
        return lr, EVENT_STYLES[events](lr, repr(spec))

    return Replayer(run=run, closed=closed, get_lr=get_lr, run_from=run_from, events=events)


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
    """``"restart"`` events where a smooth schedule turns upward (``lr[k+1] > lr[k]`` right
    after a falling step). A warm-up from the start is not an event, nor is any fall.
    """
    up = lr[1:] > lr[:-1]
    down = lr[1:] < lr[:-1]
    starts = up & np.concatenate(([False], down[:-1])) if up.size else up
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


#: event style of a schedule: every change, or only upward turns (smooth schedules).
EVENT_STYLES: dict[str, Callable[[np.ndarray, str], tuple[Event, ...]]] = {
    "change": change_events,
    "turn": restart_events,
}
