"""Configs from public projects (shared/realogs); skipped when that folder is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from reporter.config import find_config, patch_config, read_setup

REALOGS = Path(__file__).resolve().parents[3] / "shared" / "realogs"
LIGHTNING = REALOGS / "r08_config" / "hparams.yaml"
WANDB = REALOGS / "r22_config" / "config.yaml"

pytestmark = pytest.mark.skipif(not REALOGS.is_dir(), reason="shared/realogs is absent")


def test_realogs_lightning_hparams_empty_mapping() -> None:
    """PINNforEM version_14/hparams.yaml is `{}`: a setup with nothing found, no error."""
    assert find_config(LIGHTNING.parent / "metrics.csv") == LIGHTNING
    setup = read_setup(LIGHTNING, display_root=REALOGS)
    assert setup.framework == "lightning"
    assert (setup.learning_rate, setup.scheduler, setup.clip_grad_norm) == (None, None, None)
    assert setup.provenance["framework"].file == "r08_config/hparams.yaml"


def test_realogs_wandb_config() -> None:
    """loss-plateau W&B files/config.yaml: `train.value.lr`, and `grad_clip: -1` = off."""
    assert find_config(WANDB.parent / "wandb-summary.json") == WANDB
    setup = read_setup(WANDB, display_root=REALOGS)
    assert setup.learning_rate == 0.0001
    assert setup.source_of("learning_rate") == "r22_config/config.yaml: train.value.lr"
    assert setup.clip_grad_norm is None
    assert setup.provenance["clip_grad_norm"].note == "-1: no clipping"
    assert setup.scheduler is None and setup.early_stopping is None
    assert setup.raw["model"]["value"]["n_embd"] == 256


def test_realogs_wandb_patch_changes_one_line(tmp_path: Path) -> None:
    patched = patch_config(read_setup(WANDB), {"learning_rate": 3e-5}, tmp_path / "config.yaml")
    changed = [line for line in patched.diff.splitlines()[2:] if line[:1] in "+-"]
    assert changed == ["-        lr: 0.0001", "+        lr: 3.0e-05"]
