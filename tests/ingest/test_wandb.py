"""Weights & Biases files (issue 4; formats.md §7). The .wandb log is from wandb 0.31.0."""

from __future__ import annotations

import math

import pytest

from reporter.errors import LogFormatError
from reporter.ingest import read_run


def _run_dir(datapath):
    return next(datapath("wandb", "offline_run").glob("offline-run-*"))


def test_wandb_binary_log_history(datapath):
    run = read_run(_run_dir(datapath))
    assert run.format == "wandb" and run.step_kind == "row"
    assert len(run.series("train/loss")) == 96
    val = run.series("val/loss")
    assert val["step"].tolist()[:2] == [8, 17]  # _step counts log calls
    assert math.isnan(val["value"].iloc[10]) and val["value"].iloc[11] == math.inf
    assert val["epoch"].tolist() == list(range(12))  # the logged 'epoch' key
    assert "late" not in run.metrics  # W&B dropped the backwards step


def test_wandb_file_and_folder_agree(datapath):
    folder = _run_dir(datapath)
    assert read_run(next(folder.glob("*.wandb"))).scalars.equals(read_run(folder).scalars)


def test_wandb_legacy_history_jsonl(datapath):
    run = read_run(datapath("wandb", "wandb-history.jsonl"))
    assert set(run.metrics) == {"train/loss", "val/loss", "lr"}
    assert math.isnan(run.series("val/loss")["value"].iloc[5])
    assert run.series("lr")["wall_time"].iloc[0] == 1.7e9


def test_wandb_ui_export_skips_min_max(datapath):
    run = read_run(datapath("wandb", "ui_export_min_max.csv"))
    assert run.metrics == ["train/loss"] and len(run.scalars) == 12


def test_wandb_cut_binary_log(datapath, tmp_path):
    source = next(_run_dir(datapath).glob("*.wandb"))
    data = source.read_bytes()
    cut = tmp_path / "run-x.wandb"
    cut.write_bytes(data[:len(data) // 2])
    run = read_run(cut)
    assert 0 < len(run.scalars) < len(read_run(source).scalars)
    assert "cut short" in run.notes[0]


def test_wandb_summary_alone_is_refused_with_its_values(tmp_path):
    path = tmp_path / "wandb-summary.json"
    path.write_text('{"train_loss": 2.5, "_step": 499, "_runtime": 1.0}')
    with pytest.raises(LogFormatError, match=r"wandb-summary\.json: a W&B run summary: the "
                                             r"final values only \(train_loss = 2\.5 at step "
                                             r"499\), no history"):
        read_run(path)


def test_wandb_run_folder_with_only_the_console_capture(datapath, tmp_path):
    """A committed run folder often keeps files/output.log and wandb-summary.json only."""
    files = tmp_path / "run-20260123_005458-79u2qtit" / "files"
    files.mkdir(parents=True)
    files.joinpath("output.log").write_text("Step 0 -- Train loss: 2.6, Train Acc: 0.2\n"
                                            "Step 1 -- Train loss: 2.4, Train Acc: 0.3\n")
    files.joinpath("wandb-summary.json").write_text('{"train_loss": 2.4, "_step": 1}')
    run = read_run(files.parent)
    assert run.format == "wandb" and run.series("train/loss")["value"].tolist() == [2.6, 2.4]
    assert run.meta["summary"] == {"train_loss": 2.4}
    assert "files/output.log" in run.notes[0]
