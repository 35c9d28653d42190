"""HF ``trainer_state.json`` (issue 2; formats.md §2). Fixtures from transformers 5.24.0."""

from __future__ import annotations

import json
import math

import pytest

from reporter.errors import LogFormatError
from reporter.ingest import read_run


def test_hf_entry_kinds_map_to_series_and_summary(datapath):
    run = read_run(datapath("hf_trainer_state", "eval_and_summary.json"))
    assert {"train/loss", "val/loss", "lr", "grad_norm"} <= set(run.metrics)
    assert len(run.series("train/loss")) == 15  # logging_steps=1, 15 optimizer steps
    assert run.series("val/loss")["step"].tolist() == [3, 6, 9, 12, 15]
    summary = run.meta["summary"]
    assert {"train_loss", "train_runtime", "total_flos"} <= set(summary)
    assert "train_loss" not in run.metrics, "the final summary is not a series point"


def test_hf_epoch_is_progress_and_step_is_optimizer_step(datapath):
    run = read_run(datapath("hf_trainer_state", "eval_and_summary.json"))
    assert run.meta["epoch_kind"] == "progress"
    assert run.step_kind == "optimizer_step"
    loss = run.series("train/loss")
    assert loss["epoch"].iloc[0] == pytest.approx(0.2)
    assert loss["step"].iloc[0] == 1
    assert run.by_epoch().index.tolist() == [0, 1, 2]


def test_hf_warmup_from_zero_proves_used_lr_timing(datapath):
    run = read_run(datapath("hf_trainer_state", "eval_and_summary.json"))
    assert run.series("lr")["value"].iloc[0] == 0.0
    assert run.meta["lr_timing"] == "used"


def test_hf_bare_nan_stays_a_logged_nan(datapath):
    run = read_run(datapath("hf_trainer_state", "nan_loss_from_step_9.json"))
    loss = run.series("train/loss").set_index("step")["value"]
    assert not math.isnan(loss[9]) and math.isnan(loss[10])
    assert loss.loc[10:].isna().all()
    assert math.isnan(run.series("grad_norm").set_index("step")["value"][10])
    assert len(loss) == 15, "NaN rows are kept, not dropped"


def test_hf_output_folder_reads_newest_checkpoint(datapath):
    run = read_run(datapath("hf_trainer_state", "output_dir_checkpoints"))
    assert run.series("train/loss")["step"].max() == 15
    assert "checkpoint-15" in run.notes[0]


def test_hf_step_going_back_starts_a_segment(tmp_path):
    history = [{"loss": 1.0, "epoch": 0.5, "step": 1}, {"loss": 0.9, "epoch": 1.0, "step": 2},
               {"loss": 1.1, "epoch": 0.5, "step": 1}]
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps({"log_history": history}))
    run = read_run(path)
    assert run.series("train/loss")["value"].tolist() == [1.1]
    assert run.superseded is not None and len(run.superseded) == 2


def test_hf_not_a_state_object_names_the_problem(tmp_path):
    path = tmp_path / "trainer_state.json"
    path.write_text('{"epoch": 1}')
    with pytest.raises(LogFormatError, match=r"trainer_state.json: not a trainer state: no "
                                             r"'log_history' list$"):
        read_run(path)


def test_hf_v4_rounded_losses_are_noted(tmp_path):
    history = [{"loss": round(1 / (s + 1), 4), "learning_rate": 1e-4, "epoch": s / 10,
                "step": s} for s in range(1, 8)]
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps({"log_history": history}))
    run = read_run(path)
    assert run.meta["rounding"] == 4 and run.meta["smoothing"] == "window mean"
    assert "transformers v4 rounds the logged loss" in run.notes[0]
