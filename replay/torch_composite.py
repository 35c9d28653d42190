"""Specs and exact replays of torch's composite schedulers: SequentialLR and ChainedScheduler.

Children are our own specs (any torch schedule except ReduceLROnPlateau and other
composites). The replays follow torch 2.13: ``SequentialLR`` resets the LR, re-runs the
initial step of the child active at epoch 0 (``bisect_right(milestones, 0)``, pytorch#185872)
and restarts each later child through ``_update_lr(0)`` at its milestone;
``ChainedScheduler`` steps every child in order on the same running LR.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from replay._registry import EVENT_STYLES, REPLAYERS, Replayer, register, replayer_for
from replay.torch_cyclic import CyclicLR, OneCycleLR
from replay.torch_schedulers import ReduceLROnPlateau
from replay.types import Event, FloatArray

__all__ = ["ChainedScheduler", "SequentialLR"]


def _check_children(owner: str, schedulers: tuple[object, ...]) -> None:
    if len(schedulers) < 1:
        raise ValueError(f"{owner} expects at least one scheduler, but got no scheduler")
    for i, child in enumerate(schedulers):
        if isinstance(child, ReduceLROnPlateau):
            raise ValueError(
                f"{owner} does not support ReduceLROnPlateau (it needs the metric in step()), "
                f"but got one at index {i}"
            )
        if isinstance(child, (SequentialLR, ChainedScheduler)):
            raise ValueError(f"{owner}: nested {type(child).__name__} at index {i} is not replayed")
        rep = REPLAYERS.get(type(child))
        if rep is None or rep.get_lr is None:
            raise TypeError(f"{owner}: no torch replay for {type(child).__name__} at index {i}")


@dataclass(frozen=True)
class SequentialLR:
    """torch ``SequentialLR(schedulers, milestones)``: one child after another.

    Each child sees its own local epochs 0, 1, 2, ... from its milestone and restarts from the
    base LR (its closed form at 0), so warm-up then cosine gives 0.01, 0.04, 0.07, **0.1**,
    0.0950, ... Not chainable with outside changes across milestones.

    .. math::
        \\eta_t = \\text{child}_k(t - m_k), \\quad k = \\text{bisect\\_right}(M, t)

    where :math:`M` = ``milestones`` and :math:`m_k` is the milestone that starts child
    :math:`k` (0 for the first).

    Timing: the child switches in the ``step()`` that ends epoch ``m - 1``: epoch ``m`` is the
    first trained with the new child. torch's ``SequentialLR.step()`` takes no epoch, so only
    ``"standard"`` and ``"step_before"`` stepping exist.

    Args:
        schedulers (tuple): child specs, e.g. ``(LinearLR(...), CosineAnnealingLR(...))``.
        milestones (tuple[int, ...]): strictly increasing switch epochs, one fewer than
            ``schedulers``.

    Example:
        >>> from replay import CosineAnnealingLR, LinearLR, SequentialLR, lr_trajectory
        >>> spec = SequentialLR((LinearLR(start_factor=0.1, total_iters=3),
        ...                      CosineAnnealingLR(T_max=4)), milestones=(3,))
        >>> print(lr_trajectory(spec, 0.1, 6).table())
        epoch  lr
            0  0.01
            1  0.04
            2  0.07
            3  0.1
            4  0.0853553
            5  0.05
    """

    schedulers: tuple[object, ...]
    milestones: tuple[int, ...]
    framework = "torch"

    def __post_init__(self) -> None:
        object.__setattr__(self, "schedulers", tuple(self.schedulers))
        object.__setattr__(self, "milestones", tuple(int(m) for m in self.milestones))
        _check_children("SequentialLR", self.schedulers)
        if len(self.milestones) != len(self.schedulers) - 1:
            raise ValueError(
                "SequentialLR expects one more scheduler than milestones, but got "
                f"{len(self.schedulers)} schedulers and {len(self.milestones)} milestones"
            )
        if any(b <= a for a, b in zip(self.milestones, self.milestones[1:], strict=False)):
            raise ValueError(
                f"SequentialLR milestones must be strictly increasing, got {self.milestones}"
            )


@dataclass(frozen=True)
class ChainedScheduler:
    """torch ``ChainedScheduler(schedulers)``: every child steps on the same LR, in order.

    Recursive children multiply their effects; closed-form children (LambdaLR, CyclicLR, ...)
    overwrite what came before them.

    .. math::
        \\eta_t = g_K(t, \\dots g_2(t, g_1(t, \\eta_{t-1})))

    where :math:`g_k` is child :math:`k`'s ``get_lr``; :math:`\\eta_0` chains the children's
    constructor steps.

    Args:
        schedulers (tuple): child specs, stepped in this order.

    Example:
        >>> from replay import ChainedScheduler, ExponentialLR, StepLR, lr_trajectory
        >>> spec = ChainedScheduler((StepLR(step_size=2, gamma=0.5), ExponentialLR(gamma=0.5)))
        >>> print(lr_trajectory(spec, 1.0, 4).table())
        epoch  lr
            0  1
            1  0.5
            2  0.125
            3  0.0625
    """

    schedulers: tuple[object, ...]
    framework = "torch"

    def __post_init__(self) -> None:
        object.__setattr__(self, "schedulers", tuple(self.schedulers))
        _check_children("ChainedScheduler", self.schedulers)


def _child_bases(children: tuple[object, ...], base_lr: float) -> tuple[list[float], float]:
    """Each child's ``base_lrs`` and the final ``initial_lr`` of the group, replaying the
    constructors in order (``setdefault("initial_lr")``; CyclicLR writes its ``base_lr`` into
    the group first; OneCycleLR overwrites ``initial_lr``)."""
    initial: float | None = None
    bases: list[float] = []
    for child in children:
        if isinstance(child, OneCycleLR):
            initial = child.max_lr / child.div_factor
        elif initial is None:
            initial = child.base_lr if isinstance(child, CyclicLR) else base_lr
        bases.append(child.base_lr if isinstance(child, CyclicLR) else initial)
    if initial is None:
        raise ValueError("a composite scheduler expects at least one scheduler, but got none")
    return bases, initial


def _sequential_run(
    spec: SequentialLR, base_lr: float, n: int, metrics: FloatArray | None
) -> tuple[FloatArray, tuple[Event, ...]]:
    children, ms = spec.schedulers, spec.milestones
    bases, initial = _child_bases(children, base_lr)
    lr = np.empty(n, dtype=np.float64)
    events: list[Event] = []
    if n == 0:
        return lr, ()
    k0 = bisect_right(ms, 0)
    bounds = [0] + [m for m in ms if m > 0] + [n]
    cur = float(initial)
    for k in range(k0, len(children)):
        a, b = bounds[k - k0], min(bounds[k - k0 + 1], n)
        if a >= n:
            break
        rep = replayer_for(type(children[k]))
        if a == 0:
            start = rep.torch_get_lr(children[k])(children[k], bases[k], 0, cur, True)
        else:
            start = rep.restart_value(children[k], bases[k], cur)
        lr[a:b] = rep.continue_from(children[k], bases[k], b - a, start)
        cur = float(lr[b - 1])
        lo = max(a - 1, 0)
        events += [
            type(e)(e.index + lo, e.kind, e.before, e.after, e.reason)
            for e in EVENT_STYLES[rep.events](lr[lo:b], repr(children[k]))
        ]
    return lr, tuple(events)


def _bound_get_lr(child: object) -> Callable[[float, int, float, bool], float]:
    """The child's torch ``get_lr`` with the child bound: ``(base_lr, t, cur, initial)``."""
    return partial(replayer_for(type(child)).torch_get_lr(child), child)


def _chained_run(
    spec: ChainedScheduler, base_lr: float, n: int, metrics: FloatArray | None
) -> tuple[FloatArray, tuple[Event, ...]]:
    children = spec.schedulers
    bases, _ = _child_bases(children, base_lr)
    steps = [(_bound_get_lr(c), b) for c, b in zip(children, bases, strict=True)]
    lr = np.empty(n, dtype=np.float64)
    cur = float(base_lr)
    for get_lr, b in steps:
        cur = get_lr(b, 0, cur, True)
    for t in range(n):
        if t:
            for get_lr, b in steps:
                cur = get_lr(b, t, cur, False)
        lr[t] = cur
    return lr, EVENT_STYLES["change"](lr, repr(spec)) if _piecewise(children) else (
        EVENT_STYLES["turn"](lr, repr(spec))
    )


def _piecewise(children: tuple[object, ...]) -> bool:
    return all(REPLAYERS[type(c)].events == "change" for c in children)


register(SequentialLR, Replayer(run=_sequential_run))
register(ChainedScheduler, Replayer(run=_chained_run))
