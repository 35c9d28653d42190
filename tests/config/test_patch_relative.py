"""plan_patch for the newer options: relative changes, code-only changes, Keras clip key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reporter.config import plan_patch, read_setup
from reporter.errors import UsageError
from reporter.remedies.plan import Relative

DATA = Path(__file__).parent / "data"
SEED = DATA / "seed_nested/config/config.yaml"
KERAS = Path(__file__).parents[2] / "samples/formats/keras_csv/noisy_shard/config/config.yaml"


def test_relative_lr_scales_the_value_the_file_holds(tmp_path):
    setup = read_setup(SEED)
    patched = plan_patch(setup, {"learning_rate": Relative(0.5, "the LR you used")},
                         tmp_path / "c.yaml")
    (key, before, after), = patched.changes
    assert key.endswith("learning_rate")
    assert after == pytest.approx(before * 0.5)


def test_relative_value_without_a_key_is_a_note_not_a_number(tmp_path):
    src = tmp_path / "config.yaml"
    src.write_text("training:\n  epochs: 10\n  scheduler: ReduceLROnPlateau\n"
                   "  scheduler_patience: 3\n")
    setup = read_setup(src)
    patched = plan_patch(setup, {"scheduler.patience": 2,
                                 "scheduler.min_lr": Relative(0.01, "the LR you used")},
                         tmp_path / "out.yaml")
    assert [c[0] for c in patched.changes] == ["training.scheduler_patience"]
    assert any("scheduler.min_lr: not in this file" in n for n in patched.notes)
    with pytest.raises(UsageError, match="every change is relative"):
        plan_patch(setup, {"learning_rate": Relative(0.5, "the LR you used")},
                   tmp_path / "out.yaml")


def test_code_only_changes_are_not_written(tmp_path):
    setup = read_setup(SEED)
    with pytest.raises(UsageError, match=r"applied in the training code \(resume_from"):
        plan_patch(setup, {"resume_from": "epoch 3", "skip_batches": "epochs 3-4"},
                   tmp_path / "c.yaml")


def test_keras_config_gets_global_clipnorm(tmp_path):
    shutil.copy(KERAS, tmp_path / "config.yaml")
    setup = read_setup(tmp_path / "config.yaml")
    setup.framework = "keras"  # what adapt_setup sets from the Keras log beside it
    patched = plan_patch(setup, {"clip_grad_norm": 1.0}, tmp_path / "out.yaml")
    assert patched.changes == [("training.global_clipnorm", None, 1.0)]
    reread = tmp_path / "re" / "config.yaml"
    reread.parent.mkdir()
    reread.write_text(patched.text)
    assert read_setup(reread).clip_grad_norm == 1.0
