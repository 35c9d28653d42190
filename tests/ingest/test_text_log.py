"""Plain-text console logs (issue 4; formats.md §2, §4, §5.5).

Keras 3.15 (torch backend) and transformers 5.24 output was captured from real runs; the
nanoGPT, pytorch-tutorial and 'Epoch i/n - Train Loss' lines were printed with the exact
format strings of those sources over a real torch training (tests/data/make_fixtures.py).
"""

from __future__ import annotations

import math

import pytest

from reporter.errors import LogFormatError, UsageError
from reporter.ingest import read_run


def test_keras_progress_bar_with_ansi_and_backspaces(datapath):
    run = read_run(datapath("text_log", "keras_progress_bar_ansi.log"))
    assert run.format == "text_log" and run.step_kind == "epoch"
    assert run.meta["framework"] == "keras" and run.meta["lr_timing"] == "used"
    table = run.by_epoch()
    assert table.index.tolist() == [0, 1, 2, 3, 4, 5]
    assert table.loc[0, "train/loss"] == 8.5043  # the epoch's last values, not the first bar
    assert table.loc[4, "lr"] == 0.005
    assert run.notes == []


def test_keras_verbose_1_and_2_give_the_same_table(datapath):
    bar = read_run(datapath("text_log", "keras_progress_bar_ansi.log")).by_epoch()
    plain = read_run(datapath("text_log", "keras_verbose2.log")).by_epoch()
    assert bar.equals(plain)


def test_hf_v5_dict_lines_with_quoted_values(datapath):
    run = read_run(datapath("text_log", "hf_v5_stdout_tqdm.log"))
    assert run.meta["framework"] == "hf" and run.meta["epoch_kind"] == "progress"
    assert run.step_kind == "row"
    assert run.series("train/loss")["value"].tolist()[:2] == [3.907, 3.898]
    assert run.series("val/loss")["epoch"].tolist() == [1.0, 2.0]
    assert run.meta["summary"]["train_loss"] == 3.902
    assert "train_loss" not in run.metrics


def test_nanogpt_iter_and_eval_lines(datapath):
    run = read_run(datapath("text_log", "nanogpt_iter_lines.log"))
    assert run.step_kind == "optimizer_step"
    assert len(run.series("train/loss")) == 96
    assert run.series("val/loss")["step"].tolist() == [0, 24, 48, 72]
    assert run.has("eval_train_loss")


def test_epoch_bracket_step_lines(datapath):
    run = read_run(datapath("text_log", "epoch_bracket_step.log"))
    loss = run.series("train/loss")
    assert loss["step"].tolist()[:3] == [4, 8, 12]
    assert loss["epoch"].tolist()[:3] == [0.5, 1.0, 1.5]


def test_epoch_train_val_lr_lines(datapath):
    run = read_run(datapath("text_log", "epoch_train_val_lr.txt"))
    assert set(run.metrics) == {"train/loss", "val/loss", "lr"}
    assert run.by_epoch().index.tolist() == list(range(12))
    assert "shifted to 0-based" in run.notes[-1]


def test_nan_and_inf_tokens(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("Epoch 1/3 - loss: 0.5\nEpoch 2/3 - loss: nan\nEpoch 3/3 - loss: inf\n")
    values = read_run(path).series("train/loss")["value"].tolist()
    assert values[0] == 0.5 and math.isnan(values[1]) and values[2] == math.inf


def test_session_appended_to_the_same_file_is_a_segment(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("Step 0 -- Train loss: 2.0\nStep 1 -- Train loss: 1.5\n"
                    "Step 0 -- Train loss: 2.2\n")
    run = read_run(path)
    assert run.series("train/loss")["value"].tolist() == [2.2]
    assert run.notes[0] == "line 3: the step goes back from 1 to 0; a new segment starts"


def test_user_pattern(tmp_path):
    path = tmp_path / "custom.out"
    path.write_text("it=1 L=0.9 lr=0.1\nnoise\nit=2 L=0.7 lr=0.1\n")
    run = read_run(path, pattern=r"it=(?P<step>\d+) L=(?P<train_loss>\S+) lr=(?P<lr>\S+)")
    assert run.format == "text_log"
    assert run.series("train/loss")["value"].tolist() == [0.9, 0.7]
    assert run.series("lr")["step"].tolist() == [1, 2]


def test_user_pattern_without_metric_group():
    with pytest.raises(UsageError, match=r"--pattern needs at least one named group"):
        read_run(__file__, pattern=r"it=(?P<step>\d+)")


def test_user_pattern_invalid_regex():
    with pytest.raises(UsageError, match=r"--pattern is not a valid regular expression"):
        read_run(__file__, pattern=r"it=(?P<step>\d+")


def test_text_without_known_lines(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("starting\nEpoch 1/3 - loss: 0.5\n")
    path.write_text("starting\nall good\n")
    with pytest.raises(LogFormatError, match=r"train\.log: no line matches a known "
                                             r"training-log pattern or a repeated line "
                                             r"template$"):
        read_run(path, format="text_log")


def test_mmengine_runner_log_agrees_with_its_scalars_json(datapath):
    """The same mmengine 0.10.7 run: its text log (4 decimals) and vis_data/scalars.json."""
    text = read_run(datapath("text_log", "mmengine_runner.log"))
    lines = read_run(datapath("json_lines", "mmengine_scalars.json"))
    assert text.meta["app"] == "mmengine"
    for metric in ("train/loss", "val/mse", "lr"):
        a, b = text.series(metric), lines.series(metric)
        assert a["step"].tolist() == b["step"].tolist()
        assert a["epoch"].tolist() == b["epoch"].tolist()
        assert a["value"].tolist() == pytest.approx(b["value"].tolist(), abs=6e-5)


def test_fairseq_simple_format(tmp_path):
    """fairseq SimpleProgressBar: '{prefix}:  {i:5d} / {n:d} {postfix}' (prefix 'epoch 001')."""
    path = tmp_path / "train.log"
    path.write_text("epoch 001:     50 / 100 loss=8.123, nll_loss=7.9, num_updates=50, "
                    "lr=0.0005, gnorm=1.234\n"
                    "epoch 001:    100 / 100 loss=7.5, nll_loss=7.2, num_updates=100, "
                    "lr=0.0005, gnorm=1.1\n"
                    "epoch 002:     50 / 100 loss=7.1, nll_loss=6.9, num_updates=150, "
                    "lr=0.0004, gnorm=1.0\n")
    run = read_run(path)
    assert run.meta["app"] == "fairseq" and run.step_kind == "iteration"
    loss = run.series("train/loss")
    assert loss["step"].tolist() == [50, 100, 150]
    assert loss["epoch"].tolist() == [0.5, 1.0, 1.5]
    assert run.series("grad_norm")["value"].tolist() == [1.234, 1.1, 1.0]
