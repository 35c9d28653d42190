"""Every logged point reaches the detectors (issue 7, item 6).

The trainer states here are written the way transformers' ``TrainerState.save_to_json`` writes
them (``json.dumps(asdict(state), indent=2, sort_keys=True)``; transformers 4.x rounds the
logged loss to 4 decimals, ``epoch`` is the fractional progress, one evaluation per epoch,
a final summary entry), with 40 epochs of 5 logged steps: the shape of realog r01 (200 loss
entries over 39 epochs), which used to be analysed as one point per epoch.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from reporter.diagnose import diagnose
from reporter.diagnose.series import curves
from reporter.ingest import read_run

DATA = Path(__file__).resolve().parents[1] / "data"
EPOCHS, PER_EPOCH = 40, 5


def _loss(step: int) -> float:
    return round(2.0 * math.exp(-step / 60) + 0.3 + 0.01 * ((step * 7) % 5 - 2), 4)


def write_state(path, odd: dict[int, float]):
    """A trainer_state.json; ``odd`` replaces the logged loss at some steps (NaN, a spike)."""
    history = []
    for step in range(1, EPOCHS * PER_EPOCH + 1):
        history.append({"epoch": round(step / PER_EPOCH, 2), "grad_norm": 1.0 + step % 3 / 10,
                        "learning_rate": 5e-5 * (1 - step / (EPOCHS * PER_EPOCH + 1)),
                        "loss": odd.get(step, _loss(step)), "step": step})
        if step % PER_EPOCH == 0:
            history.append({"epoch": step / PER_EPOCH, "eval_loss": 0.5 + 0.001 * step,
                            "eval_runtime": 1.2, "eval_samples_per_second": 80.0,
                            "eval_steps_per_second": 10.0, "step": step})
    history.append({"epoch": float(EPOCHS), "step": EPOCHS * PER_EPOCH, "total_flos": 1e12,
                    "train_loss": 0.8, "train_runtime": 100.0, "train_samples_per_second": 8.0,
                    "train_steps_per_second": 2.0})
    state = {"best_metric": None, "best_model_checkpoint": None, "epoch": float(EPOCHS),
             "eval_steps": PER_EPOCH, "global_step": EPOCHS * PER_EPOCH,
             "is_hyper_param_search": False, "is_local_process_zero": True,
             "is_world_process_zero": True, "log_history": history, "logging_steps": 1,
             "max_steps": EPOCHS * PER_EPOCH, "num_train_epochs": EPOCHS, "save_steps": 500,
             "total_flos": 1e12, "train_batch_size": 8, "trial_name": None,
             "trial_params": None}
    path.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    return path


def test_hf_every_log_entry_is_a_point_on_the_step_axis(tmp_path):
    run = read_run(write_state(tmp_path / "trainer_state.json", {}))
    found = curves(run)
    assert found["train/loss"].axis == "step" and len(found["train/loss"]) == 200
    assert found["val/loss"].axis == "step" and len(found["val/loss"]) == 40  # per evaluation
    assert found["lr"].x.tolist() == found["train/loss"].x.tolist()
    assert found["val/loss"].x.tolist() == [5.0 * k for k in range(1, 41)]


def test_hf_nan_between_epoch_ends_is_seen_at_its_step(tmp_path):
    run = read_run(write_state(tmp_path / "trainer_state.json", {103: math.nan}))
    div = diagnose(run).first("divergence", "train/loss")
    assert div is not None and div.start == 103.0 and div.evidence["axis"] == "step"
    assert div.end == 104.0 and div.evidence["nonfinite_points"] == 1


@pytest.mark.parametrize("length", [1, 2, 3, 4])
def test_hf_spike_between_epoch_ends_is_seen_at_its_step(tmp_path, length):
    """An 8x spike from step 102, inside epoch 21 (steps 101-105), one to four steps long:
    the per-epoch view (step 105 only) saw at most its last step, or none of it."""
    odd = {102 + i: 8 * _loss(101) for i in range(length)}
    run = read_run(write_state(tmp_path / "trainer_state.json", odd))
    spike = diagnose(run).first("spike", "train/loss")
    assert spike is not None and spike.start == 102.0 and spike.evidence["axis"] == "step"
    assert spike.evidence["peak_value"] == pytest.approx(8 * _loss(101))
    assert spike.evidence["recovered"] is True


def test_lightning_step_and_epoch_series_each_keep_their_own_axis():
    """``train_loss_step`` and ``train_loss_epoch`` stay two series: the epoch means on the
    epoch axis for the detectors, each logged step value under its own name and step."""
    run = read_run(DATA / "lightning_csv" / "sparse_lr_monitor.csv")
    found = curves(run)
    assert found["train/loss"].axis == "epoch" and found["train/loss"].x.tolist() == [0, 1, 2]
    steps = run.series("train/loss_step")
    assert steps["step"].tolist() == [1, 3, 5, 7, 9, 11]
    assert steps["value"].iloc[0] == pytest.approx(1.9684995412826538)


def test_lightning_per_step_loss_keeps_the_lr_of_each_evaluation(tmp_path):
    """Lightning logs ``lr-Adam`` (LearningRateMonitor, per epoch) at an epoch's first step and
    ``val_loss`` at its last: read per step, each evaluation still finds the LR in effect."""
    rows = ["epoch,lr-Adam,step,train_loss,val_loss"]
    for epoch in range(25):
        rows.append(f",{0.01 * 0.5 ** (epoch // 8)},{epoch * 10},,")
        rows += [f"{epoch},,{s},{2 * math.exp(-s / 100) + 0.1:.5f},"
                 for s in range(epoch * 10, epoch * 10 + 10)]
        rows.append(f"{epoch},,{epoch * 10 + 9},,{2 * math.exp(-epoch / 10) + 0.2:.5f}")
    path = tmp_path / "version_0" / "metrics.csv"
    path.parent.mkdir()
    path.write_text("\n".join(rows) + "\n")
    found = curves(read_run(path))
    assert found["train/loss"].axis == "step" and len(found["train/loss"]) == 250
    lr = dict(zip(found["lr"].x.tolist(), found["lr"].y.tolist(), strict=True))
    assert [lr[x] for x in found["val/loss"].x] == [0.01 * 0.5 ** (e // 8) for e in range(25)]
