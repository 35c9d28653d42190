"""Train the built-in proxy task for one trial and one seed (this module imports torch).

The loop is the ordinary hand-written torch loop the seed run used: per epoch, shuffled
mini-batches with ``zero_grad → loss.backward() → clip_grad_norm_ → optimizer.step()``, then
the validation loss, then ``scheduler.step(val_loss)`` for ``ReduceLROnPlateau`` or
``scheduler.step()`` for the others, then the early-stopping check on the validation loss
with the counting rule of the spec's ``semantics`` (``replay.early_stop``).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from replay import ConstantSchedule, CosineAnnealingLR, ReduceLROnPlateau, StepLR, early_stop
from reporter.confirm.spec import ProxyTask, SeedCurve, TrialSpec

__all__ = ["make_data", "train_trial"]


class _SineLSTM(nn.Module):
    """LSTM over the window; its last hidden state goes through the read-out head.

    The head is ``Linear → ReLU → Linear`` with ``head_size`` hidden units, or a single
    ``Linear`` when ``head_size`` is 0.
    """

    def __init__(self, hidden_size: int, num_layers: int, head_size: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, num_layers=num_layers, batch_first=True)
        if head_size:
            self.head = nn.Sequential(
                nn.Linear(hidden_size, head_size), nn.ReLU(), nn.Linear(head_size, 1)
            )
        else:
            self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :]).squeeze(-1)


def make_data(task: ProxyTask, seed: int) -> tuple[np.ndarray, ...]:
    """Train and validation windows for ``seed``: ``(x_train, y_train, x_val, y_val)``.

    ``x`` has shape (n, seq_len, 1) and ``y`` shape (n,), float32.
    """
    rng = np.random.default_rng(seed)
    n = task.n_train + task.n_val
    phase = rng.uniform(0.0, 2.0 * math.pi, size=(n, 1))
    period = rng.uniform(task.period_min, task.period_max, size=(n, 1))
    t = np.arange(task.seq_len + 1, dtype=np.float64)[None, :]
    wave = np.sin(2.0 * math.pi * t / period + phase)
    x = wave[:, :-1] + task.noise * rng.standard_normal((n, task.seq_len))
    y = wave[:, -1]
    x = x.astype(np.float32)[:, :, None]
    y = y.astype(np.float32)
    k = task.n_train
    return x[:k], y[:k], x[k:], y[k:]


def _torch_scheduler(spec: TrialSpec, optimizer: torch.optim.Optimizer):
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
    raise TypeError(f"no torch scheduler for {type(sched).__name__}")


def _clip(params: list[torch.Tensor], max_norm: float | None) -> tuple[float, bool]:
    """Pre-clipping total L2 norm of the gradients, and whether they were scaled down.

    With ``max_norm`` this is ``torch.nn.utils.clip_grad_norm_``, which scales when
    ``max_norm / (norm + 1e-6) < 1`` (torch/nn/utils/clip_grad.py, ``_clip_grads_with_norm_``).
    """
    if max_norm is None:
        grads = [p.grad for p in params if p.grad is not None]
        return float(torch.nn.utils.get_total_norm(grads)), False
    norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
    return norm, max_norm / (norm + 1e-6) < 1.0


def train_trial(
    spec: TrialSpec, seed: int, *, task: ProxyTask | None = None, name: str = ""
) -> SeedCurve:
    """Train the proxy under ``spec`` with ``seed``; return its per-epoch curves.

    The seed fixes the data (numpy), the initial weights and the batch order (torch). The
    trial runs on one CPU thread (the caller's thread count is restored afterwards), so the
    same spec and seed give the same numbers in any process.
    """
    task = task or ProxyTask()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(spec, seed, task, name)
    finally:
        torch.set_num_threads(threads)


def _train(spec: TrialSpec, seed: int, task: ProxyTask, name: str) -> SeedCurve:
    start = time.perf_counter()
    x_tr, y_tr, x_va, y_va = (torch.from_numpy(a) for a in make_data(task, seed))
    torch.manual_seed(seed)
    model = _SineLSTM(task.hidden_size, task.num_layers, task.head_size)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=spec.learning_rate)
    scheduler = _torch_scheduler(spec, optimizer)
    batch_order = torch.Generator().manual_seed(seed)
    loss_fn = nn.MSELoss()

    rows: list[tuple[float, float, float, float, float]] = []
    stopped_at, stop_reason, diverged = None, "", False
    for _ in range(spec.epochs):
        lr_used = optimizer.param_groups[0]["lr"]
        model.train()
        losses, norms, clipped = [], [], 0
        for idx in torch.randperm(len(y_tr), generator=batch_order).split(task.batch_size):
            optimizer.zero_grad()
            loss = loss_fn(model(x_tr[idx]), y_tr[idx])
            loss.backward()
            norm, was_clipped = _clip(params, spec.clip_grad_norm)
            optimizer.step()
            losses.append(loss.item())
            norms.append(norm)
            clipped += was_clipped
        model.eval()
        with torch.no_grad():
            val = loss_fn(model(x_va), y_va).item()
        train = float(np.mean(losses))
        rows.append((train, val, lr_used, max(norms), clipped / len(norms)))
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
            stop = early_stop(spec.early_stopping, [row[1] for row in rows])
            if stop is not None:
                stopped_at, stop_reason = stop.index, stop.reason
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
    )
