"""Keras ``CSVLogger`` (issue 2; formats.md §4). Fixtures from keras 3.15.1, torch backend."""

from __future__ import annotations

import math

from reporter.ingest import read_run


def test_keras_na_cells_are_not_logged(datapath):
    run = read_run(datapath("keras_csv", "append_rerun_na_cells.csv"))
    assert run.series("val/loss")["epoch"].tolist() == [1]  # validation_freq=2
    assert "val_learning_rate" not in run.metrics  # a column of NA only


def test_keras_append_rerun_is_a_new_segment_that_wins(datapath):
    run = read_run(datapath("keras_csv", "append_rerun_na_cells.csv"))
    loss = run.series("train/loss")
    assert loss["epoch"].tolist() == [0, 1, 2]
    assert set(loss["segment"]) == {1}
    assert len(run.superseded) == 16
    assert run.notes[0] == ("line 6: the epoch goes back from 3 to 0 (rows appended by "
                            "another fit); a new segment starts")


def test_keras_nan_spelling_is_a_logged_nan(datapath):
    run = read_run(datapath("keras_csv", "nan_loss_from_epoch_3.csv"))
    values = run.series("train/loss")["value"].tolist()
    assert len(values) == 6
    assert [math.isnan(v) for v in values] == [False] * 3 + [True] * 3


def test_keras_epoch_zero_based_lr_used(datapath):
    run = read_run(datapath("keras_csv", "append_rerun_na_cells.csv"))
    assert run.step_kind == "epoch"
    assert run.series("lr")["epoch"].iloc[0] == 0
    assert run.meta == {"framework": "keras", "lr_timing": "used"}


def test_keras_truncated_last_line_read_up_to_it(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("epoch,loss,val_loss\n0,1.0,1.1\n1,0.9,1.0\n2,0.8")
    run = read_run(path)
    assert run.series("train/loss")["value"].tolist() == [1.0, 0.9]
    assert run.notes == ["stopped at line 4: the row is cut short (2 of 3 cells); read 2 rows "
                         "before it"]


def test_keras_inf_and_minus_inf(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("epoch,loss\n0,inf\n1,-inf\n2,NA\n")
    assert read_run(path).series("train/loss")["value"].tolist() == [math.inf, -math.inf]


def test_timm_summary_csv_is_read_with_torch_semantics(tmp_path):
    """timm ``update_summary`` writes the same shape (formats.md §5.4)."""
    path = tmp_path / "summary.csv"
    path.write_text("epoch,train_loss,eval_loss,eval_top1,eval_top5,lr\n"
                    "0,6.9,6.8,0.1,0.5,0.0001\n1,6.5,6.4,0.9,3.1,0.0005\n")
    run = read_run(path)
    assert run.meta == {"framework": "torch", "app": "timm", "lr_timing": "unknown"}
    assert run.series("val/loss")["value"].tolist() == [6.8, 6.4]
    assert run.series("lr")["epoch"].tolist() == [0, 1]


def test_other_epoch_csv_one_based_is_shifted_and_not_keras(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("epoch,train_loss,val_loss\n1,1.0,1.1\n2,0.9,1.0\n")
    run = read_run(path)
    assert run.meta == {"framework": "unknown", "lr_timing": "unknown", "epochs_shifted": True}
    assert run.epochs_shifted
    assert run.series("train/loss")["epoch"].tolist() == [0, 1]
    assert run.series("train/loss")["step"].tolist() == [1, 2]  # the number as written
    assert run.notes == ["epoch numbers start at 1; shifted to 0-based epoch indices"]
