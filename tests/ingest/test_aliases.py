"""Metric-name aliases (formats.md §11)."""

from __future__ import annotations

import pytest

from reporter.ingest.aliases import canonical_name, split_granularity


@pytest.mark.parametrize(("native", "canonical"), [
    ("loss", "train/loss"), ("train_loss", "train/loss"), ("train/loss", "train/loss"),
    ("val_loss", "val/loss"), ("eval_loss", "val/loss"), ("eval/loss", "val/loss"),
    ("val/epoch_loss", "val/loss"), ("valid_loss", "val/loss"), ("Validation_Loss", "val/loss"),
    ("learning_rate", "lr"), ("lr", "lr"), ("train/learning_rate", "lr"), ("lr-Adam", "lr"),
    ("lr-AdamW-0", "lr"), ("lr-SGD/pg0", "lr"), ("lr-Adam-1", "lr-Adam-1"),
    ("lr-SGD/pg1", "lr-SGD/pg1"), ("grad_norm", "grad_norm"), ("gnorm", "grad_norm"),
    ("train/grad_norm", "grad_norm"), ("accuracy", "train/acc"), ("val_accuracy", "val/acc"),
    ("eval_accuracy", "val/acc"), ("eval_wer", "eval_wer"), ("G_loss", "G_loss"),
    ("train_losses", "train/loss"), ("val_losses", "val/loss"),
])
def test_canonical_name(native, canonical):
    assert canonical_name(native) == canonical


@pytest.mark.parametrize(("name", "expected"), [
    ("train_loss_step", ("train_loss", "step")), ("train_loss_epoch", ("train_loss", "epoch")),
    ("val_loss", ("val_loss", None)), ("global_step", ("global_step", None)),
])
def test_split_granularity(name, expected):
    assert split_granularity(name) == expected
