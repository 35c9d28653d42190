"""Train the built-in proxy task for one trial and one seed (this module imports torch).

The proxy supplies a sine-wave LSTM regression (see :class:`~reporter.confirm.spec.ProxyTask`)
to the shared loop of :mod:`reporter.confirm.loop`: shuffled mini-batches of the training
windows each epoch, and the whole validation set as one batch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

from reporter.confirm.loop import TrainParts, one_thread, train_loop
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


class _ShuffledBatches:
    """``(x[idx], y[idx])`` mini-batches in a new order on every pass, drawn from ``generator``."""

    def __init__(
        self, x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator
    ) -> None:
        self.x, self.y, self.batch_size, self.generator = x, y, batch_size, generator

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for idx in torch.randperm(len(self.y), generator=self.generator).split(self.batch_size):
            yield self.x[idx], self.y[idx]


def train_trial(
    spec: TrialSpec, seed: int, *, task: ProxyTask | None = None, name: str = ""
) -> SeedCurve:
    """Train the proxy under ``spec`` with ``seed``; return its per-epoch curves.

    The seed fixes the data (numpy), the initial weights and the batch order (torch). The
    trial runs on one CPU thread (the caller's thread count is restored afterwards), so the
    same spec and seed give the same numbers in any process.
    """
    task = task or ProxyTask()
    with one_thread():
        start = time.perf_counter()
        x_tr, y_tr, x_va, y_va = (torch.from_numpy(a) for a in make_data(task, seed))
        torch.manual_seed(seed)
        parts = TrainParts(
            model=_SineLSTM(task.hidden_size, task.num_layers, task.head_size),
            train_loader=_ShuffledBatches(
                x_tr, y_tr, task.batch_size, torch.Generator().manual_seed(seed)
            ),
            val_loader=[(x_va, y_va)],
            loss_fn=nn.MSELoss(),
        )
        return train_loop(spec, parts, seed=seed, name=name, start=start)
