"""A seed-like run written to a folder: history JSON whose LR is torch's own plateau schedule,
and a nested config/config.yaml like the style reference's."""

from __future__ import annotations

import json
from pathlib import Path

TRAIN = [0.62, 0.3, 0.2, 0.12, 0.09, 0.07, 0.06, 0.055, 0.05, 0.049, 0.048, 0.047, 0.048,
         0.52, 0.51] + [0.5] * 10
VAL = [0.55, 0.28, 0.18, 0.1, 0.08, 0.065, 0.058, 0.052, 0.05, 0.049, 0.051, 0.05, 0.052,
       0.5, 0.5] + [0.5] * 10
GRAD = [1.0, 0.8, 0.7, 0.6, 0.5, 0.5, 0.45, 0.4, 0.4, 0.42, 0.41, 0.4, 0.45, 5.0, 0.1] + \
    [0.01] * 10
CONFIG = """\
# seed-like training config
model:
  hidden_size: 32
training:
  learning_rate: 0.0005   # Adam
  optimizer: adam
  epochs: 50
  batch_size: 32
  scheduler: ReduceLROnPlateau
  scheduler_patience: 10  # epochs without improvement
  scheduler_factor: 0.7
  early_stopping_patience: 15
  gradient_clip_value: 1.0
"""


def torch_plateau_lr(values: list[float], lr: float = 5e-4) -> list[float]:
    """The LR used in each epoch under torch's own ReduceLROnPlateau(patience=10, factor=0.7)."""
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=10, factor=0.7)
    used = []
    for v in values:
        used.append(opt.param_groups[0]["lr"])
        sched.step(v)
    return used


def write_seedlike(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config").mkdir(exist_ok=True)
    (folder / "config" / "config.yaml").write_text(CONFIG)
    history = {"epoch": list(range(len(VAL))), "train_loss": TRAIN, "val_loss": VAL,
               "learning_rate": torch_plateau_lr(VAL), "grad_norm": GRAD}
    (folder / "training_history.json").write_text(json.dumps(history))
    return folder
