"""The table that maps a spec type to its replayer (filled by the modules that define them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, NoReturn, TypeVar, cast

import numpy as np

from replay.types import Event, FloatArray, IntArray

#: a spec type (``StepLR``, ``HFScheduler``, ...): the first argument of every replay function.
SpecT = TypeVar("SpecT")
#: a Replayer[S] replays specs of type S, so it also replays any subtype of S: contravariant.
SpecT_contra = TypeVar("SpecT_contra", contravariant=True)

#: ``run(spec, base_lr, n, metrics) -> (lr, events)``: the LR used at indices ``0..n-1`` in the
#: canonical loop (``train(); optimizer.step(); scheduler.step()``), with its events.
RunFn = Callable[[SpecT, float, int, "FloatArray | None"], "tuple[FloatArray, tuple[Event, ...]]"]
#: ``closed(spec, base_lr, t) -> lr``: torch's ``_get_closed_form_lr`` at each integer ``t``.
ClosedFn = Callable[[SpecT, float, IntArray], FloatArray]


#: torch ``get_lr`` for one param group: ``(spec, base_lr, t, cur, initial) -> lr``, where
#: ``t`` is ``last_epoch`` after the increment, ``cur`` the group's LR before the step and
#: ``initial`` torch's ``_is_initial`` (the constructor's step).
GetLrFn = Callable[[SpecT, float, int, float, bool], float]
#: ``run_from(spec, base_lr, n, start) -> lr``: ``lr[0] = start`` and the recursive steps
#: ``t = 1..n-1`` from there (a vectorised form of repeated ``get_lr``).
RunFromFn = Callable[[SpecT, float, int, float], FloatArray]
#: ``events(lr, reason)``: the events a replayed LR series shows.
EventsFn = Callable[[FloatArray, str], "tuple[Event, ...]"]


@dataclass(frozen=True)
class Replayer(Generic[SpecT_contra]):
    """How to replay one spec type.

    ``closed`` is None when the framework has no closed form (``step(epoch)`` then falls back to
    the recursive form). ``metric_driven`` marks state machines over a metric series
    (ReduceLROnPlateau): they need ``metrics`` and ignore the epoch argument of ``step``.
    ``get_lr`` and ``run_from`` let composites (SequentialLR, ChainedScheduler) drive a child.
    """

    run: RunFn[SpecT_contra]
    closed: ClosedFn[SpecT_contra] | None = None
    metric_driven: bool = False
    get_lr: GetLrFn[SpecT_contra] | None = None
    run_from: RunFromFn[SpecT_contra] | None = None
    events: str = "turn"

    def torch_get_lr(self, spec: SpecT_contra) -> GetLrFn[SpecT_contra]:
        """``get_lr``; a TypeError naming ``spec``'s class when the replay has none (it does not
        replay a torch ``LRScheduler``, so a composite cannot step it)."""
        if self.get_lr is None:
            raise TypeError(f"no torch get_lr replay for {type(spec).__name__}")
        return self.get_lr

    def restart_value(self, spec: SpecT_contra, base_lr: float, cur: float) -> float:
        """torch ``_update_lr(0)`` (SequentialLR at a milestone): the closed form at 0 when the
        class has one, else ``get_lr`` at ``last_epoch = 0`` outside the initial step."""
        if self.closed is not None:
            return float(self.closed(spec, base_lr, np.zeros(1, dtype=np.int64))[0])
        return self.torch_get_lr(spec)(spec, base_lr, 0, cur, False)

    def continue_from(self, spec: SpecT_contra, base_lr: float, n: int, start: float) -> FloatArray:
        """``lr[0] = start`` then the recursive steps ``t = 1..n-1``."""
        if self.run_from is not None:
            return self.run_from(spec, base_lr, n, start)
        return loop_get_lr(self.torch_get_lr(spec), spec, base_lr, n, start)


#: spec type -> its replayer. ``REPLAYERS[S]`` is a ``Replayer[S]`` (:func:`register` pairs
#: them); the values are stored as ``Replayer[NoReturn]`` (the type every ``Replayer[S]`` is a
#: subtype of), so that only :func:`replayer_for`, which gives S back, can call them.
REPLAYERS: dict[type, Replayer[NoReturn]] = {}


def replayer_for(spec_type: type[SpecT]) -> Replayer[SpecT]:
    """The replayer registered for ``spec_type`` (KeyError when there is none)."""
    # register() stored REPLAYERS[spec_type] as a Replayer[spec_type]
    return cast("Replayer[SpecT]", REPLAYERS[spec_type])


def loop_get_lr(
    get_lr: GetLrFn[SpecT], spec: SpecT, base_lr: float, n: int, start: float
) -> FloatArray:
    """Repeat ``get_lr`` for ``t = 1..n-1`` from ``lr[0] = start`` (scalar float64 loop)."""
    out = [start]
    cur = start
    for t in range(1, n):
        cur = get_lr(spec, base_lr, t, cur, False)
        out.append(cur)
    return np.array(out[:n], dtype=np.float64)


def torch_replayer(
    get_lr: GetLrFn[SpecT],
    closed: ClosedFn[SpecT] | None = None,
    run_from: RunFromFn[SpecT] | None = None,
    events: str = "turn",
) -> Replayer[SpecT]:
    """A Replayer for a torch ``LRScheduler`` subclass from its ``get_lr`` (and optional
    closed and vectorised forms): the constructor's initial step at ``t = 0``, then ``run_from``.
    """

    def run(
        spec: SpecT, base_lr: float, n: int, metrics: FloatArray | None
    ) -> tuple[FloatArray, tuple[Event, ...]]:
        start = get_lr(spec, base_lr, 0, base_lr, True)
        lr = (
            run_from(spec, base_lr, n, start)
            if run_from is not None
            else loop_get_lr(get_lr, spec, base_lr, n, start)
        )
        return lr, EVENT_STYLES[events](lr, repr(spec))

    return Replayer(run=run, closed=closed, get_lr=get_lr, run_from=run_from, events=events)


def register(spec_type: type[SpecT], replayer: Replayer[SpecT]) -> None:
    """Make ``lr_trajectory`` replay ``spec_type`` with ``replayer``."""
    REPLAYERS[spec_type] = replayer


def change_events(lr: FloatArray, reason: str) -> tuple[Event, ...]:
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


def restart_events(lr: FloatArray, reason: str) -> tuple[Event, ...]:
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
EVENT_STYLES: dict[str, EventsFn] = {
    "change": change_events,
    "turn": restart_events,
}
