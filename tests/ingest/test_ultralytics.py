"""The summed Ultralytics loss (``_ultralytics.ultralytics_frame``, issue 7, item 4)."""

from __future__ import annotations

import math

import pandas as pd

from reporter.ingest._ultralytics import ultralytics_frame


def _table(rows: list[tuple[str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame({"metric": [r[0] for r in rows], "step": [r[1] for r in rows],
                         "epoch": [float(r[1]) for r in rows], "wall_time": math.nan,
                         "value": [r[2] for r in rows], "segment": 0})


def test_a_nan_part_makes_the_total_nan_at_that_epoch():
    rows = [(name, epoch, math.nan if (name, epoch) == ("train/cls_loss", 1) else 1.0 + epoch)
            for epoch in range(3) for name in ("train/box_loss", "train/cls_loss",
                                               "train/dfl_loss")]
    table, meta = ultralytics_frame(_table(rows), [])
    total = table[table["metric"] == "train/loss"].set_index("step")["value"]
    assert total.index.tolist() == [0, 1, 2]
    assert total[0] == 3.0 and math.isnan(total[1]) and total[2] == 9.0
    assert meta["loss_parts"]["train/loss"] == ["train/box_loss", "train/cls_loss",
                                                "train/dfl_loss"]


def test_a_missing_part_gives_no_total_at_that_epoch():
    rows = [(name, epoch, 1.0) for epoch in range(3) for name in ("train/box_loss",
                                                                  "train/cls_loss")
            if (name, epoch) != ("train/box_loss", 2)]
    table, _ = ultralytics_frame(_table(rows), [])
    assert table[table["metric"] == "train/loss"]["step"].tolist() == [0, 1]


def test_an_infinite_part_makes_the_total_infinite():
    rows = [("train/box_loss", 0, math.inf), ("train/cls_loss", 0, 1.0)]
    table, _ = ultralytics_frame(_table(rows), [])
    assert table[table["metric"] == "train/loss"]["value"].tolist() == [math.inf]
