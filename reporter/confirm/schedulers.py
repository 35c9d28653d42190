"""The torch scheduler a confirmation trial runs for a replay spec."""

from __future__ import annotations

from typing import Any

import replay
from replay import spec_text

#: the start of torch's warning when a scheduler steps before its optimizer first did
#: (torch/optim/lr_scheduler.py, LRScheduler.step)
STEP_ORDER_WARNING = "Detected call of `lr_scheduler.step()` before `optimizer.step()`"


def torch_trial_scheduler(spec: Any) -> tuple[Any, str | None]:
    """A scheduler the proxy can run for ``spec`` (torch's own class), and a note if mapped.

    Keras' plateau rule is run as torch's with the equivalent counts (Keras patience p and
    cooldown c behave like torch's p-1 and c-1, with an absolute threshold and no eps: Keras
    keeps halving where torch's eps would stop). Anything else the
    proxy cannot build yet gives (None, reason).
    """
    from reporter.confirm.spec import SCHEDULER_SPECS

    if isinstance(spec, replay.UltralyticsSchedule) and spec.nw > 0:
        return spec, (f"{spec_text(spec)} stepped per epoch: each warm-up epoch at the LR its "
                      "last batch had (the trainer ramps it batch by batch)")
    if spec is None or isinstance(spec, SCHEDULER_SPECS):
        return spec, None
    if isinstance(spec, replay.KerasReduceLROnPlateau):
        mapped = replay.ReduceLROnPlateau(
            mode=spec.mode, factor=spec.factor, patience=max(spec.patience - 1, 0),
            threshold=spec.min_delta, threshold_mode="abs", cooldown=max(spec.cooldown - 1, 0),
            min_lr=spec.min_lr, eps=0.0)
        return mapped, f"{spec_text(spec)} run as {spec_text(mapped)}"
    return None, f"the proxy cannot run {spec_text(spec)} yet"


def position_scheduler(scheduler: Any, spec: Any) -> None:
    """Bring a fresh torch ``scheduler`` to where it stands after ``spec.start_epoch`` epochs.

    Epoch-stepped schedulers (``CosineAnnealingLR``, ``StepLR``) are stepped K times, which
    gives the very learning rates the same class reaches by epoch K in a run from scratch
    (torch computes them recursively from the previous LR, so setting ``last_epoch`` alone
    would not). ``ReduceLROnPlateau`` depends on the losses it saw: it is stepped with the
    run's logged validation losses of epochs 0 to K - 1 (``spec.history``), its state (best,
    bad epochs, cooldown, reductions) as the run's own would be if it had watched the same
    values; with no history it starts afresh at the checkpoint, its state unknown.
    """
    if scheduler is None or not spec.start_epoch:
        return
    import re
    import warnings

    import torch

    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        for value in spec.history:
            scheduler.step(value)
        return
    with warnings.catch_warnings():
        # stepping before any optimizer.step() is the point here, not the usual mistake
        warnings.filterwarnings("ignore", message=re.escape(STEP_ORDER_WARNING))
        for _ in range(spec.start_epoch):
            scheduler.step()
