"""Console tables without a header: a YOLOv7 ``results.txt`` (issue 7, leftover).

The file is written here with YOLOv7 ``train.py``'s own format strings: per epoch, the last
tqdm description ``('%10s' * 2 + '%10.4g' * 6) % ('%g/%g' % (epoch, epochs - 1), mem, *mloss,
labels, img_size)`` followed by ``'%10.4g' * 7 % results`` (P, R, mAP@.5, mAP@.5:.95, then the
validation box, obj and cls losses).
"""

from __future__ import annotations

import math

from reporter.ingest import detect, read_run
from reporter.ingest._console_table import RESULTS_COLUMNS, ConsoleTable

EPOCHS = 6


def _results_txt(nan_from: int = 4) -> str:
    lines = []
    for epoch in range(EPOCHS):
        box, obj, cls = (0.09 - 0.01 * epoch, 0.05, 0.03)
        if epoch >= nan_from:
            box = obj = cls = math.nan
        mloss = (box, obj, cls, box + obj + cls)
        s = ("%10s" * 2 + "%10.4g" * 6) % ("%g/%g" % (epoch, EPOCHS - 1),  # noqa: UP031
                                           "%.3gG" % 7.31,  # noqa: UP031
                                           *mloss, 40, 640)
        results = (0.1 * epoch, 0.05 * epoch, 0.02, 0.01, 0.04, 0.03, 0.02 + 0.001 * epoch)
        lines.append(s + "%10.4g" * 7 % results + "\n")
    return "".join(lines)


def test_a_results_row_gives_its_columns():
    table = ConsoleTable()
    assert table.results_row(_results_txt().splitlines()[0].strip())
    assert table.columns == list(RESULTS_COLUMNS) and table.app == "yolov7"
    assert not ConsoleTable().results_row("0/5 7.31G 0.09 0.05")  # too few columns


def test_yolov7_results_txt_reads_every_epoch(tmp_path):
    path = tmp_path / "results.txt"
    path.write_text(_results_txt())
    assert detect(path)[0][1] == "text_log"
    run = read_run(path)
    assert run.step_kind == "epoch" and run.meta["app"] == "yolov7"
    table = run.by_epoch()
    assert table.index.tolist() == list(range(EPOCHS))  # '0/5' is epoch 0
    assert table.loc[1, "train/box_loss"] == 0.08
    assert table.loc[1, "train/loss"] == 0.16
    assert math.isnan(table.loc[4, "train/loss"])  # nan is a value, not a parse error
    assert table.loc[2, "metrics/precision"] == 0.2
    assert table.loc[5, "val/cls_loss"] == 0.025
    assert "gpu_mem" not in run.metrics and "labels" not in run.metrics
