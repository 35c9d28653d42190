"""The one training loop every confirmation task runs (this module imports torch).

It is the ordinary hand-written torch loop: per epoch, the training batches with
``zero_grad → loss.backward() → clip_grad_norm_ → optimizer.step()``, then the validation
loss, then ``scheduler.step(val_loss)`` for ``ReduceLROnPlateau`` or ``scheduler.step()`` for
the others, then the early-stopping check on the validation loss with the counting rule of
the spec's ``semantics`` (``replay.early_stop``). A spec with ``warmup_epochs`` trains each
epoch at ``replay.warmup_factor`` × the scheduler's LR; one with ``zclip`` scales each step's
gradients by ZClip's factor (``replay.zclip_state.ZClipState``) in place of
``clip_grad_norm_``. A trial ends early when a loss becomes NaN
or infinite (diverged) or when early stopping fires.

A trial with ``spec.start_epoch`` K > 0 rewinds: ``TrainParts.resume`` loads the checkpoint
into the model and the optimizer, the optimizer's learning rates are set back to the
setting's (a loaded optimizer state carries the run's), the scheduler is positioned at epoch
K (:func:`reporter.confirm.schedulers.position_scheduler`), early stopping counts from the
run's logged validation losses before K (``spec.history``) and epochs K, K+1, … are trained.
The model and every batch are moved to ``TrainParts.device``. The built-in proxy
(:mod:`reporter.confirm.proxy`) and the user's entry point (:mod:`reporter.confirm.entry`)
only differ in the :class:`TrainParts` they hand to :func:`train_loop`.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from replay import (
    ConstantSchedule,
    CosineAnnealingLR,
    ReduceLROnPlateau,
    StepLR,
    UltralyticsSchedule,
    early_stop,
    warmup_factor,
)
from replay.zclip_state import ZClipState
from reporter.confirm.schedulers import position_scheduler
from reporter.confirm.spec import SeedCurve, TrialSpec

__all__ = ["TrainParts", "build_scheduler", "one_thread", "train_loop"]


def call_model(model: nn.Module, inputs: Any) -> Any:
    """The default forward: ``model(inputs)``."""
    return model(inputs)


def adam(params: list[torch.Tensor], lr: float) -> torch.optim.Optimizer:
    """The default optimizer: ``torch.optim.Adam(params, lr=lr)`` with torch's defaults."""
    return torch.optim.Adam(params, lr=lr)


@dataclass
class TrainParts:
    """What one trial × seed trains: a fresh model, its data and how to step it.

    ``train_loader`` and ``val_loader`` are re-iterable (one pass per epoch) and yield
    ``(inputs, targets)`` pairs. ``loss_fn(outputs, targets)`` returns a one-element tensor;
    ``forward(model, inputs)`` gives the outputs and ``optimizer(params, lr)`` builds the
    optimizer. ``max_epochs`` caps the epochs a trial trains (None: the spec's, from its
    ``start_epoch`` to its ``epochs``) and ``max_steps_per_epoch`` the training batches of
    each epoch (None: the whole loader). ``resume(model, optimizer)`` loads the checkpoint a
    rewound trial starts from (None: no checkpoint) and ``resume_epoch`` the epochs trained
    when it was saved (the trial's ``spec.start_epoch`` decides where it starts).
    ``device`` is where the model and the batches go (``"cpu"`` or ``"cuda"``).
    """

    model: nn.Module
    train_loader: Iterable[Any]
    val_loader: Iterable[Any]
    loss_fn: Callable[[Any, Any], torch.Tensor]
    forward: Callable[[nn.Module, Any], Any] = call_model
    optimizer: Callable[[list[torch.Tensor], float], torch.optim.Optimizer] = adam
    max_epochs: int | None = None
    max_steps_per_epoch: int | None = None
    resume: Callable[[nn.Module, torch.optim.Optimizer], Any] | None = None
    resume_epoch: int | None = None
    device: str = "cpu"


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one torch CPU thread with torch's deterministic algorithms, restoring
    the caller's settings afterwards.

    One thread makes a trial's numbers the same in any process, whatever its thread pool;
    ``torch.use_deterministic_algorithms`` (warn only: a user's model with an operation that
    has no deterministic kernel still trains, with torch's warning) does the same on a GPU.
    """
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)


def build_scheduler(spec: TrialSpec, optimizer: torch.optim.Optimizer) -> Any:
    """The torch scheduler named by the replay spec, with the spec's parameters (or None)."""
    sched = spec.scheduler
    if sched is None or isinstance(sched, ConstantSchedule):
        return None
    lr_scheduler = torch.optim.lr_scheduler
    if isinstance(sched, ReduceLROnPlateau):
        return lr_scheduler.ReduceLROnPlateau(
            optimizer,
            mode=sched.mode,
            factor=sched.factor,
            patience=sched.patience,
            threshold=sched.threshold,
            threshold_mode=sched.threshold_mode,
            cooldown=sched.cooldown,
            min_lr=sched.min_lr,
            eps=sched.eps,
        )
    if isinstance(sched, CosineAnnealingLR):
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=sched.T_max, eta_min=sched.eta_min)
    if isinstance(sched, StepLR):
        return lr_scheduler.StepLR(optimizer, step_size=sched.step_size, gamma=sched.gamma)
    if isinstance(sched, UltralyticsSchedule):  # per epoch: each epoch's logged factor
        return lr_scheduler.LambdaLR(optimizer, lambda epoch: sched.logged(1.0, epoch))
    raise TypeError(f"no torch scheduler for {type(sched).__name__}")


def clip(params: list[torch.Tensor], max_norm: float | None) -> tuple[float, bool]:
    """Pre-clipping total L2 norm of the gradients, and whether they were scaled down.

    With ``max_norm`` this is ``torch.nn.utils.clip_grad_norm_``, which scales when
    ``max_norm / (norm + 1e-6) < 1`` (torch/nn/utils/clip_grad.py, ``_clip_grads_with_norm_``).
    """
    if max_norm is None:
        grads = [p.grad for p in params if p.grad is not None]
        return float(torch.nn.utils.get_total_norm(grads)), False
    norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
    return norm, max_norm / (norm + 1e-6) < 1.0


def train_loop(
    spec: TrialSpec, parts: TrainParts, *, seed: int, name: str = "", start: float | None = None
) -> SeedCurve:
    """Train ``parts`` under ``spec``; return the per-epoch curves of this seed.

    ``start`` is the ``time.perf_counter()`` the trial's wall time counts from (default: now),
    so a caller can include building its data and model.
    """
    start = time.perf_counter() if start is None else start
    parts.model.to(parts.device)
    params = [p for p in parts.model.parameters() if p.requires_grad]
    optimizer = parts.optimizer(params, spec.learning_rate)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer(params, lr) must return a torch optimizer, "
                        f"got {type(optimizer).__name__}")
    if spec.start_epoch:
        rewind(parts, optimizer, spec.start_epoch)
    scheduler = build_scheduler(spec, optimizer)
    position_scheduler(scheduler, spec)
    first = spec.start_epoch
    end = spec.epochs if parts.max_epochs is None else min(spec.epochs, first + parts.max_epochs)
    # early stopping counts from the run's own history before the checkpoint, unless that
    # history alone would already have stopped it (then the run's settings differ: start afresh)
    history = list(spec.history)
    if spec.early_stopping is None or early_stop(spec.early_stopping, history) is not None:
        history = []

    rows: list[tuple[float, float, float, float, float]] = []
    stopped_at, stop_reason, diverged = None, "", False
    warmup = warmup_factor(end, spec.warmup_epochs) if spec.warmup_epochs else None
    clipper = ZClipState(spec.zclip) if spec.zclip is not None else None
    for epoch in range(first, end):
        with _warmed(optimizer, None if warmup is None else float(warmup[epoch])):
            lr_used = optimizer.param_groups[0]["lr"]
            train, norm, clip_fraction = _train_epoch(parts, params, optimizer, spec, epoch,
                                                      clipper)
        val = _validate(parts, epoch)
        rows.append((train, val, lr_used, norm, clip_fraction))
        if not (math.isfinite(train) and math.isfinite(val)):
            diverged = True
            break
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(val)
        elif scheduler is not None:
            scheduler.step()
        if spec.early_stopping is not None:
            # The replay of the same callback over the val losses so far decides, so a trial
            # stops exactly where replay.early_stop says the framework would have.
            stop = early_stop(spec.early_stopping, history + [row[1] for row in rows])
            if stop is not None:
                stopped_at, stop_reason = stop.index - len(history), stop.reason
                break

    cols = np.array(rows, dtype=float).T
    return SeedCurve(
        trial=name,
        seed=seed,
        train_loss=cols[0],
        val_loss=cols[1],
        lr=cols[2],
        grad_norm=cols[3],
        clip_fraction=cols[4],
        stopped_at=stopped_at,
        stop_reason=stop_reason,
        diverged=diverged,
        seconds=time.perf_counter() - start,
        start_epoch=first,
    )


def rewind(parts: TrainParts, optimizer: torch.optim.Optimizer, epoch: int) -> None:
    """Load the checkpoint saved after ``epoch`` epochs; keep the setting's learning rates.

    ``Optimizer.load_state_dict`` replaces each param group's hyper-parameters with the saved
    ones (``lr`` and a scheduler's ``initial_lr`` included), so the setting's rates are put
    back and ``initial_lr`` dropped: the trial's scheduler then starts from the setting's LR.
    """
    if parts.resume is None:
        raise ValueError(f"the trial starts at epoch {epoch} but there is no checkpoint to "
                         "resume from")
    rates = [group["lr"] for group in optimizer.param_groups]
    parts.resume(parts.model, optimizer)
    for group, lr in zip(optimizer.param_groups, rates, strict=True):
        group["lr"] = lr
        group.pop("initial_lr", None)


@contextmanager
def _warmed(optimizer: torch.optim.Optimizer, factor: float | None) -> Iterator[None]:
    """Train the block at ``factor`` × each group's LR, then put the scheduler's LR back.

    The scheduler keeps stepping its own LR (CosineAnnealingLR's recursive form reads the
    group's ``lr``), so a warm-up multiplies it only while the epoch trains, as
    ``replay.warmup_factor`` lays it over the scheduler's path.
    """
    if factor is None or factor == 1.0:
        yield
        return
    rates = [group["lr"] for group in optimizer.param_groups]
    for group, lr in zip(optimizer.param_groups, rates, strict=True):
        group["lr"] = lr * factor
    try:
        yield
    finally:
        for group, lr in zip(optimizer.param_groups, rates, strict=True):
            group["lr"] = lr


def zclip(params: list[torch.Tensor], clipper: ZClipState) -> tuple[float, bool]:
    """Pre-clipping total L2 norm, after scaling the gradients by ZClip's factor for it
    (``replay.zclip_state.ZClipState``, the same rule the replay applies to logged norms)."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = float(torch.nn.utils.get_total_norm(grads))
    scale = clipper.step(norm)
    if scale < 1.0:
        torch._foreach_mul_(grads, scale)
    return norm, scale < 1.0


def _train_epoch(
    parts: TrainParts,
    params: list[torch.Tensor],
    optimizer: torch.optim.Optimizer,
    spec: TrialSpec,
    epoch: int,
    clipper: ZClipState | None = None,
) -> tuple[float, float, float]:
    """Mean step loss, largest pre-clip gradient norm and share of clipped steps of an epoch
    (clipped by ``clip_grad_norm_`` or, with ``clipper``, by ZClip)."""
    parts.model.train()
    set_epoch(parts.train_loader, epoch)
    losses, norms, clipped = [], [], 0
    for batch in itertools.islice(parts.train_loader, parts.max_steps_per_epoch):
        inputs, targets = _pair(to_device(batch, parts.device), "train_loader")
        optimizer.zero_grad()
        loss = _scalar(parts.loss_fn(parts.forward(parts.model, inputs), targets))
        loss.backward()
        norm, was_clipped = (zclip(params, clipper) if clipper is not None
                             else clip(params, spec.clip_grad_norm))
        optimizer.step()
        losses.append(loss.item())
        norms.append(norm)
        clipped += was_clipped
    if not losses:
        raise ValueError(_empty("train_loader", epoch))
    return float(np.mean(losses)), max(norms), clipped / len(norms)


def _validate(parts: TrainParts, epoch: int) -> float:
    """Validation loss after an epoch: the batch losses averaged with batch-size weights."""
    parts.model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in parts.val_loader:
            inputs, targets = _pair(to_device(batch, parts.device), "val_loader")
            loss = _scalar(parts.loss_fn(parts.forward(parts.model, inputs), targets)).item()
            size = _batch_size(targets)
            total += loss * size
            count += size
    if not count:
        raise ValueError(_empty("val_loader", epoch))
    return total / count


def set_epoch(loader: Any, epoch: int) -> None:
    """Tell the loader's sampler the epoch, as a distributed training loop does.

    A sampler with ``set_epoch`` (``DistributedSampler``, or one of the user's) can then
    shuffle by seed and epoch, so a trial rewound to epoch K sees the batches the run saw.
    """
    for owner in (loader, getattr(loader, "sampler", None), getattr(loader, "batch_sampler", None)):
        method = getattr(owner, "set_epoch", None)
        if callable(method):
            method(epoch)
            return


def to_device(batch: Any, device: str) -> Any:
    """``batch`` with every tensor in it (nested tuples, lists and dicts) moved to ``device``.

    On the CPU the batch is returned as it is: the loaders already give CPU tensors.
    """
    if device == "cpu":
        return batch
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(item, device) for item in batch)
    if isinstance(batch, dict):
        return {key: to_device(item, device) for key, item in batch.items()}
    return batch


def _pair(batch: Any, loader: str) -> tuple[Any, Any]:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    kind = type(batch).__name__
    if isinstance(batch, (tuple, list)):
        kind = f"{len(batch)}-item {kind}"
    raise TypeError(f"{loader} must yield (inputs, targets) pairs, got {kind}")


def _scalar(loss: Any) -> torch.Tensor:
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        got = type(loss).__name__
        if isinstance(loss, torch.Tensor):
            got = f"shape {tuple(loss.shape)}"
        raise TypeError(f"loss_fn must return a one-element tensor, got {got}")
    return loss


def _batch_size(targets: Any) -> int:
    shape = getattr(targets, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) else 1
    return len(targets) if hasattr(targets, "__len__") else 1


def _empty(loader: str, epoch: int) -> str:
    text = f"{loader} yielded no batches in epoch {epoch}"
    if epoch:
        text += " (a generator is used up after one pass: return a list or a DataLoader)"
    return text
