"""A complete confirmation entry point: a small MLP regression on synthetic data.

    reporter analyze RUN --confirm samples/entry_point/my_model.py:build

reporter calls ``build(seed)`` once per setting × seed and trains what it returns with the
setting's learning rate, scheduler, early stopping and clipping. The data are the same for
every seed (your dataset); the seed draws the initial weights and the order of the batches,
which a sampler shuffles by seed and epoch, so a trial rewound to a checkpoint saved after
K epochs sees the batches the run saw from epoch K on. Run this file directly to train it
once at lr 0.05 (about a second on a CPU); ``make_run.py`` beside it writes the sample run
and the checkpoint to rewind to.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

N_TRAIN, N_VAL, FEATURES = 512, 128, 8
DATA_SEED = 1234


def make_data(seed: int = DATA_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """``N_TRAIN + N_VAL`` rows: standard-normal inputs; target ``sin(2 x·w)``, noise sd 0.1."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(N_TRAIN + N_VAL, FEATURES, generator=gen)
    weights = torch.randn(FEATURES, generator=gen) / FEATURES**0.5
    y = torch.sin(2.0 * (x @ weights)) + 0.1 * torch.randn(N_TRAIN + N_VAL, generator=gen)
    return x, y.unsqueeze(1)


class TinyMLP(nn.Module):
    """``Linear(FEATURES → hidden) → Tanh → Linear(hidden → 1)``."""

    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(FEATURES, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class EpochShuffle(torch.utils.data.Sampler):
    """A new order of ``n`` rows each epoch, drawn from ``(seed, epoch)``.

    reporter calls ``set_epoch(epoch)`` before each epoch (as a distributed loop does with
    ``DistributedSampler``), so epoch K's order is the same in a run from scratch and in one
    resumed from a checkpoint saved after K epochs.
    """

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed, self.epoch = n, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        gen = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return iter(torch.randperm(self.n, generator=gen).tolist())

    def __len__(self) -> int:
        return self.n


def sgd(params, lr: float) -> torch.optim.Optimizer:
    """SGD with momentum 0.9: the optimizer of this sample's run."""
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def build(seed: int) -> dict:
    """A fresh model and its data for ``seed``: the entry point reporter calls."""
    x, y = make_data()
    torch.manual_seed(seed)  # reporter seeds torch too; this makes build() deterministic alone
    model = TinyMLP()
    return {
        "model": model,
        "train_loader": DataLoader(
            TensorDataset(x[:N_TRAIN], y[:N_TRAIN]), batch_size=32,
            sampler=EpochShuffle(N_TRAIN, seed),
        ),
        "val_loader": DataLoader(TensorDataset(x[N_TRAIN:], y[N_TRAIN:]), batch_size=64),
        "loss_fn": nn.functional.mse_loss,
        # optional: the defaults are Adam, model(inputs), every epoch and every batch
        "optimizer": sgd,
        "max_epochs": 10,
        "max_steps_per_epoch": 12,  # of the 16 batches of 32
        # to rewind every trial to a checkpoint instead (or pass --resume, --resume-epoch):
        # "resume": "run/checkpoint.pt", "resume_epoch": 6,
    }


if __name__ == "__main__":
    from replay import ReduceLROnPlateau
    from reporter.confirm import TrialSpec, load_entry, run_confirmation

    task = load_entry(f"{__file__}:build")
    spec = TrialSpec(0.05, ReduceLROnPlateau(patience=2, factor=0.5), clip_grad_norm=1.0)
    result = run_confirmation({"current": spec}, seeds=1, task=task)
    print(result.description)
    run = result.trials["current"].runs[0]
    for epoch, (lr, val) in enumerate(zip(run.lr, run.val_loss, strict=True)):
        print(f"epoch {epoch}: lr {lr:g}, val loss {val:.4f}")
