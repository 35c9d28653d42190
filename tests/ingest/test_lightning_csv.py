"""Lightning ``CSVLogger`` (issue 2; formats.md §3). Fixtures from lightning 2.6.6."""

from __future__ import annotations

import math

from reporter.ingest import read_run


def test_lightning_sparse_rows_lr_monitor_epoch_filled(datapath):
    run = read_run(datapath("lightning_csv", "sparse_lr_monitor.csv"))
    lr = run.series("lr")
    assert lr["step"].tolist() == [1, 3, 5, 7, 9, 11]
    assert lr["epoch"].tolist() == [0, 0, 1, 1, 2, 2]  # empty on the monitor rows
    assert lr["value"].tolist() == [0.01, 0.01, 0.01, 0.01, 0.005, 0.005]  # StepLR(2, 0.5)
    assert run.meta["lr_timing"] == "used"


def test_lightning_step_and_epoch_granularity(datapath):
    run = read_run(datapath("lightning_csv", "sparse_lr_monitor.csv"))
    assert run.meta["granularity"] == {"train/loss": "epoch", "train/loss_step": "step"}
    assert run.series("train/loss")["step"].tolist() == [3, 7, 11]
    assert len(run.series("train/loss_step")) == 6


def test_lightning_empty_cell_is_not_logged_nan_is_logged(datapath):
    run = read_run(datapath("lightning_csv", "nan_loss_from_epoch_2.csv"))
    val = run.series("val/loss")
    assert val["step"].tolist() == [3, 7, 11, 15]  # not a row per CSV line
    assert [math.isnan(v) for v in val["value"]] == [False, False, True, True]


def test_lightning_version_folders_are_segments(datapath):
    run = read_run(datapath("lightning_csv", "resumed_versions"))
    loss = run.series("train/loss")
    assert loss["segment"].tolist() == [0, 0, 0, 1, 1]
    assert loss["epoch"].tolist() == [0, 1, 2, 3, 4]
    assert "segment 1 is version_1" in run.notes


def test_lightning_restart_supersedes_later_steps(tmp_path):
    for version, rows in (("version_0", ["0,,1,0.5", "0,,3,0.4", "1,,5,0.3"]),
                          ("version_1", ["1,,5,0.35", "1,,7,0.2"])):
        (tmp_path / version).mkdir()
        (tmp_path / version / "metrics.csv").write_text(
            "epoch,lr-SGD,step,train_loss\n" + "\n".join(rows) + "\n")
    run = read_run(tmp_path)
    loss = run.series("train/loss")
    assert loss["value"].tolist() == [0.5, 0.4, 0.35, 0.2]
    assert run.superseded["value"].tolist() == [0.3]
    assert any("superseded" in n for n in run.notes)


def test_generic_step_csv_is_not_called_lightning(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("step,train_loss,val_loss,lr\n10,1.0,,0.1\n20,0.8,0.9,0.1\n")
    run = read_run(path)
    assert run.format == "lightning_csv"  # the reader of long CSVs with a step column
    assert run.meta["framework"] == "unknown" and run.meta["lr_timing"] == "unknown"
    assert run.series("val/loss")["step"].tolist() == [20]
