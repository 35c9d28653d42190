"""Metric-name aliases: native spellings → canonical names (formats.md §11).

One table for every reader. Canonical names are ``train/loss``, ``val/loss``, ``lr``,
``grad_norm``, ``train/acc`` and ``val/acc``; any other name is kept as written.

>>> canonical_name("val_loss")
'val/loss'
>>> canonical_name("lr-Adam")
'lr'
>>> canonical_name("eval_wer")
'eval_wer'
>>> split_granularity("train_loss_step")
('train_loss', 'step')
"""

from __future__ import annotations

import re

__all__ = ["CANONICAL", "canonical_name", "is_loss_name", "split_granularity"]

CANONICAL = ("train/loss", "val/loss", "lr", "grad_norm", "train/acc", "val/acc")

# Exact spellings (lower case) → canonical name.
ALIASES: dict[str, str] = {
    # train loss: HF log, Keras, mmengine, nanoGPT, Lightning, timm, detectron2, Sacred, W&B
    "loss": "train/loss",
    "train/loss": "train/loss",
    "train_loss": "train/loss",
    "training_loss": "train/loss",
    "training/loss": "train/loss",
    "training.loss": "train/loss",
    "train.loss": "train/loss",
    "train loss": "train/loss",
    "loss/train": "train/loss",
    "total_loss": "train/loss",
    "train/epoch_loss": "train/loss",
    "epoch_loss": "train/loss",
    "batch_loss": "train/loss",
    "train_losses": "train/loss",
    "training_losses": "train/loss",
    # validation loss
    "val_loss": "val/loss",
    "val/loss": "val/loss",
    "val loss": "val/loss",
    "val.loss": "val/loss",
    "valid loss": "val/loss",
    "validation loss": "val/loss",
    "training loss": "train/loss",
    "valid_loss": "val/loss",
    "valid/loss": "val/loss",
    "validation_loss": "val/loss",
    "validation/loss": "val/loss",
    "validation.loss": "val/loss",
    "loss/val": "val/loss",
    "loss/valid": "val/loss",
    "loss/validation": "val/loss",
    "eval_loss": "val/loss",
    "eval/loss": "val/loss",
    "val/epoch_loss": "val/loss",
    "validation/epoch_loss": "val/loss",
    "evaluation_loss_vs_iterations": "val/loss",
    "val_losses": "val/loss",
    "valid_losses": "val/loss",
    "validation_losses": "val/loss",
    "eval_losses": "val/loss",
    # learning rate
    "lr": "lr",
    "learning_rate": "lr",
    "learning rate": "lr",
    "learningrate": "lr",
    "train/learning_rate": "lr",
    "train/lr": "lr",
    "epoch_learning_rate": "lr",
    "lrs": "lr",
    "learning_rates": "lr",
    # gradient norm
    "grad_norm": "grad_norm",
    "train/grad_norm": "grad_norm",
    "gnorm": "grad_norm",
    "grad_2.0_norm_total": "grad_norm",
    "gradient_norm": "grad_norm",
    # accuracy
    "acc": "train/acc",
    "accuracy": "train/acc",
    "train_acc": "train/acc",
    "train_accuracy": "train/acc",
    "train/acc": "train/acc",
    "train/accuracy": "train/acc",
    "training_accuracy": "train/acc",
    "epoch_accuracy": "train/acc",
    "train_accs": "train/acc",
    "train acc": "train/acc",
    "train accuracy": "train/acc",
    "training accuracy": "train/acc",
    "train_accuracies": "train/acc",
    "val_acc": "val/acc",
    "val_accuracy": "val/acc",
    "val/acc": "val/acc",
    "val/accuracy": "val/acc",
    "valid_acc": "val/acc",
    "valid_accuracy": "val/acc",
    "validation_accuracy": "val/acc",
    "eval_accuracy": "val/acc",
    "eval_acc": "val/acc",
    "eval/accuracy": "val/acc",
    "val/epoch_accuracy": "val/acc",
    "val_accs": "val/acc",
    "val acc": "val/acc",
    "val accuracy": "val/acc",
    "valid acc": "val/acc",
    "validation acc": "val/acc",
    "validation accuracy": "val/acc",
    "val_accuracies": "val/acc",
}

# Lightning LearningRateMonitor: ``lr-Adam``, ``lr-Adam-0``, ``lr-AdamW/pg1``; only the first
# parameter group becomes ``lr``, the others keep their names.
_LIGHTNING_LR = re.compile(r"^lr-[A-Za-z][\w.]*?(?:-(?P<i>\d+)|/pg(?P<pg>\d+))?$")
_GRANULARITY = re.compile(r"^(?P<base>.+)_(?P<gran>step|epoch)$")


def canonical_name(name: str) -> str:
    """The canonical name of a native metric name, or ``name`` unchanged."""
    key = name.strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    match = _LIGHTNING_LR.match(name.strip())
    if match and (match["i"] or match["pg"] or "0") == "0":
        return "lr"
    return name


def split_granularity(name: str) -> tuple[str, str | None]:
    """Split Lightning's ``_step`` / ``_epoch`` suffix off: ``(base, "step"|"epoch"|None)``."""
    match = _GRANULARITY.match(name)
    if match and match["base"].lower() not in ("global", "train", "val", "eval"):
        return match["base"], match["gran"]
    return name, None


def is_loss_name(name: str) -> bool:
    """Whether a metric name (native or canonical) looks like a loss."""
    return "loss" in name.lower()
