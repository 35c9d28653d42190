"""Map a scheduler's own step count onto training batches: per-epoch vs per-step stepping.

A trajectory from :func:`replay.lr_trajectory` is indexed by scheduler steps. Training loops
step schedulers per epoch or per optimizer step; Lightning adds ``interval`` and
``frequency``. These helpers give, for every batch, how many scheduler steps came before it,
so ``traj.lr[counts]`` is the LR each batch trained with.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from replay.types import BoolArray, Event, IntArray, Trajectory

__all__ = ["INTERVALS", "lightning_scheduler_steps", "per_step"]


def per_step(traj: Trajectory, steps_per_epoch: int) -> Trajectory:
    """Expand an epoch-stepped trajectory to one LR per optimizer step.

    .. math::
        \\text{lr}_{step}[s] = \\text{lr}[\\lfloor s / S \\rfloor]

    where :math:`S` = ``steps_per_epoch``. An epoch event at ``k`` moves to the last step of
    epoch ``k`` (``k*S + S - 1``): the new LR is used from the next step.

    Args:
        traj (Trajectory): one LR per epoch.
        steps_per_epoch (int): optimizer steps per epoch, >= 1.

    Example:
        >>> from replay import StepLR, lr_trajectory, per_step
        >>> steps = per_step(lr_trajectory(StepLR(step_size=1), 0.1, 2), 2)
        >>> print(steps.table(label="step"))
         step  lr
            0  0.1
            1  0.1
            2  0.01
            3  0.01
        >>> steps.events[0].index
        1
    """
    if int(steps_per_epoch) != steps_per_epoch or steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch must be a positive int, got {steps_per_epoch!r}")
    s = int(steps_per_epoch)
    lr = np.repeat(traj.lr, s)
    lr.setflags(write=False)
    events = tuple(
        Event(e.index * s + s - 1, e.kind, e.before, e.after, e.reason) for e in traj.events
    )
    return Trajectory(lr=lr, events=events)


# numpy's stubs type comparisons of integer arrays as Any: the masks are annotated.


def _after_step_batches(epochs: int, batches: int, frequency: int, accumulate: int) -> BoolArray:
    b = np.tile(np.arange(batches), epochs)
    optimizer_step = ((b + 1) % accumulate == 0) | (b == batches - 1)
    stepped: BoolArray = optimizer_step & ((b + 1) % frequency == 0)
    return stepped


def _after_epoch_batches(epochs: int, batches: int, frequency: int, accumulate: int) -> BoolArray:
    e = np.repeat(np.arange(epochs), batches)
    b = np.tile(np.arange(batches), epochs)
    stepped: BoolArray = (b == batches - 1) & ((e + 1) % frequency == 0)
    return stepped


#: Lightning ``interval`` -> which batches are followed by a scheduler step.
INTERVALS: dict[str, Callable[[int, int, int, int], BoolArray]] = {
    "step": _after_step_batches,
    "epoch": _after_epoch_batches,
}


def lightning_scheduler_steps(
    epochs: int,
    batches_per_epoch: int,
    *,
    interval: str = "epoch",
    frequency: int = 1,
    accumulate_grad_batches: int = 1,
) -> IntArray:
    """Scheduler steps taken before each batch under Lightning's ``LRSchedulerConfig``.

    ``interval="step"``: after a batch that ran an optimizer step (every
    ``accumulate_grad_batches`` batches, and the last batch of an epoch) when
    ``(batch_idx + 1) % frequency == 0``; ``batch_idx`` restarts every epoch, so frequency
    counts batches, not optimizer steps. ``interval="epoch"``: after the last batch of epoch
    ``e`` when ``(e + 1) % frequency == 0`` (before that epoch's validation).

    Timing: ``counts[i]`` is the index into a trajectory for batch ``i`` (0-based over all
    epochs): ``traj.lr[counts]`` is the LR per batch.

    Args:
        epochs (int): epochs trained.
        batches_per_epoch (int): training batches per epoch.
        interval (str): ``"epoch"`` or ``"step"``. Default: ``"epoch"``.
        frequency (int): step every ``frequency`` intervals. Default: 1.
        accumulate_grad_batches (int): batches per optimizer step. Default: 1.

    Example:
        >>> from replay import lightning_scheduler_steps
        >>> lightning_scheduler_steps(2, 5, interval="step", frequency=2).tolist()
        [0, 0, 1, 1, 2, 2, 2, 3, 3, 4]
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval must be 'epoch' or 'step', got {interval!r}")
    for name, value in (
        ("epochs", epochs),
        ("batches_per_epoch", batches_per_epoch),
        ("frequency", frequency),
        ("accumulate_grad_batches", accumulate_grad_batches),
    ):
        if int(value) != value or value < (0 if name == "epochs" else 1):
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    stepped = INTERVALS[interval](epochs, batches_per_epoch, frequency, accumulate_grad_batches)
    counts = np.concatenate(([0], np.cumsum(stepped)[:-1])) if stepped.size else stepped
    return counts.astype(np.int64)
