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

Every name that says loss is a loss (issue 7, item 4); ``loss_kind`` says which: the training
or validation loss, an extra evaluation set (HF ``eval_<set>_loss`` → ``val/<set>/loss``,
Lightning ``val_loss/dataloader_idx_1`` → ``val/dataloader_idx_1/loss``), a test loss
(``test_loss`` → ``test/loss``), a GAN's generator or discriminator loss, or another loss.

>>> canonical_name("eval_squad_loss")
'val/squad/loss'
>>> loss_kind("val/squad/loss")
LossKind(role='val', eval_set='squad')
>>> loss_kind("D_loss").role
'discriminator'
>>> loss_kind("epoch_seconds") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CANONICAL", "LOSS_ROLES", "LossKind", "canonical_name", "is_loss_name",
           "is_validation_loss", "loss_kind", "split_granularity"]

CANONICAL = ("train/loss", "val/loss", "test/loss", "lr", "grad_norm", "train/acc", "val/acc")
# What a loss-named metric is, in the order a run's analysed loss is chosen from them.
LOSS_ROLES = ("train", "val", "test", "generator", "discriminator", "other")

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
    # test loss: HF ``trainer.predict`` (metric_key_prefix="test"), hand-written loops
    "test_loss": "test/loss",
    "test/loss": "test/loss",
    "test loss": "test/loss",
    "test.loss": "test/loss",
    "loss/test": "test/loss",
    "test_losses": "test/loss",
    "test/epoch_loss": "test/loss",
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
# HF Trainer with a dict of eval datasets logs ``eval_<set>_loss`` for each (its
# ``metric_key_prefix`` is ``eval_<set>``); Lightning with several val dataloaders suffixes
# every key with ``/dataloader_idx_<i>``. The set named ``train`` (nanoGPT's estimate of the
# training loss at eval time, read as ``eval_train_loss``) is not held out: it keeps its name.
_EVAL_SET = re.compile(r"^eval_(?P<set>.+)_loss$", re.IGNORECASE)
_DATALOADER = re.compile(r"^(?P<base>val_loss|val/loss|valid_loss|validation_loss)"
                         r"/(?P<set>dataloader_idx_\d+)$", re.IGNORECASE)
_EXTRA_SET = re.compile(r"^val/(?P<set>.+)/loss$")
_NOT_HELD_OUT = frozenset({"train", "training"})
# GAN losses: G_loss / D_loss (pix2pix-style dicts), loss_G / loss_D, Loss_G and the lists
# G_losses / D_losses (the PyTorch DCGAN tutorial prints ``Loss_D``/``Loss_G`` and keeps
# ``G_losses``/``D_losses``), gen_loss / disc_loss, generator_loss.
_GAN = re.compile(r"^(?:train[_/])?(?:(?P<a>g|gen|generator|netg|d|disc|discriminator|netd)"
                  r"[_/. ]?loss(?:es)?|loss(?:es)?[_/. ]?(?P<b>g|gen|generator|d|disc|"
                  r"discriminator))$", re.IGNORECASE)


@dataclass(frozen=True)
class LossKind:
    """What a loss-named metric is.

    ``role`` is one of ``LOSS_ROLES``: ``train``, ``val`` (``val/loss`` and every extra
    evaluation set), ``test``, ``generator`` / ``discriminator`` (a GAN's two losses) or
    ``other``; ``eval_set`` names the evaluation set of ``val/<set>/loss``.
    """

    role: str
    eval_set: str | None = None


def canonical_name(name: str) -> str:
    """The canonical name of a native metric name, or ``name`` unchanged."""
    key = name.strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    match = _LIGHTNING_LR.match(name.strip())
    if match and (match["i"] or match["pg"] or "0") == "0":
        return "lr"
    match = _EVAL_SET.match(name.strip()) or _DATALOADER.match(name.strip())
    if match and match["set"].lower() not in _NOT_HELD_OUT:
        return f"val/{match['set']}/loss"
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


def loss_kind(name: str) -> LossKind | None:
    """What the loss named ``name`` (canonical or native) is, or None when it is no loss."""
    if not is_loss_name(name):
        return None
    canonical = canonical_name(name)
    if canonical in ("train/loss", "val/loss", "test/loss"):
        return LossKind(canonical.split("/")[0])
    match = _EXTRA_SET.match(canonical)
    if match:
        return LossKind("val", match["set"])
    match = _GAN.match(name.strip())
    if match:
        side = (match["a"] or match["b"]).lower()
        return LossKind("discriminator" if side.startswith(("d", "netd")) else "generator")
    return LossKind("other")


def is_validation_loss(name: str) -> bool:
    """``val/loss`` or an extra evaluation set's loss (``val/<set>/loss``)."""
    kind = loss_kind(name)
    return kind is not None and kind.role == "val"
