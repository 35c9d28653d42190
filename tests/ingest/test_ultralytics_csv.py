"""Ultralytics results.csv (issue 4; formats.md §5.1). Bytes from the writers' format strings."""

from __future__ import annotations

import pytest

from reporter.ingest import detect, read_run

FILES = ["v8_4_time_column.csv", "v8_0_padded_zero_based.csv", "padded_trailing_commas.csv",
         "resumed_duplicate_epoch.csv"]


@pytest.mark.parametrize("name", FILES)
def test_ultralytics_layouts_give_the_same_curves(datapath, name):
    run = read_run(datapath("ultralytics_csv", name))
    assert run.format == "ultralytics_csv" and run.step_kind == "epoch"
    table = run.by_epoch()
    assert table.index.tolist() == [0, 1, 2, 3, 4, 5]
    assert table.loc[0, "train/loss"] == pytest.approx(1.6 + 3 + 2.1)
    assert table.loc[0, "val/loss"] == pytest.approx(2.3 + 2.8 + 3.3)
    assert table.loc[2, "lr"] == pytest.approx(0.01, rel=1e-4)  # pg1, not the bias group


def test_ultralytics_components_are_kept(datapath):
    run = read_run(datapath("ultralytics_csv", "v8_4_time_column.csv"))
    assert {"train/box_loss", "val/dfl_loss", "metrics/mAP50(B)", "lr/pg0", "time"} <= set(
        run.metrics)
    assert run.meta["app"] == "ultralytics"


def test_ultralytics_resume_duplicate_epoch(datapath):
    run = read_run(datapath("ultralytics_csv", "resumed_duplicate_epoch.csv"))
    assert run.series("train/loss")["segment"].tolist() == [0, 0, 0, 1, 1, 1]
    assert any("the epoch goes back from 4 to 4" in n for n in run.notes)


def test_ultralytics_beats_keras_detection(datapath):
    assert detect(datapath("ultralytics_csv", "v8_4_time_column.csv"))[0][1] == "ultralytics_csv"
