"""Console tables, line templates found by themselves, and bad input (issue 7, items 2, 3, 8).

The fixtures are printed with each framework's own format strings by
tests/data/text_log/make_console_fixtures.py (its docstring names the source of each).
"""

from __future__ import annotations

import math
import os

import pytest

from reporter.cli.main import main
from reporter.errors import LogFormatError
from reporter.ingest import read_run
from reporter.ingest._templates import MAX_LINES, mine


def test_yolov7_console_table_with_nan_losses(datapath):
    run = read_run(datapath("text_log", "yolov7_console_nan.log"))
    assert run.step_kind == "epoch" and run.meta["app"] == "yolov5"
    loss = run.series("train/loss")
    assert loss["epoch"].tolist() == [0, 1, 2, 3, 4, 5]  # 0-based 'epoch/epochs-1' counters
    assert loss["value"].tolist()[:3] == [0.167, 0.16, 0.153]  # each epoch's last bar state
    assert all(math.isnan(v) for v in loss["value"].tolist()[3:])
    assert set(run.metrics) >= {"train/box_loss", "train/obj_loss", "train/cls_loss"}
    assert run.series("metrics/precision")["value"].tolist() == pytest.approx(
        [0.0, 0.1, 0.2, 0.3, 0.4, 0.5])  # test.py's 'all' row after each epoch


def test_ultralytics_console_table_sums_the_parts(datapath):
    run = read_run(datapath("text_log", "ultralytics_v8_console.log"))
    assert run.meta["app"] == "ultralytics"
    loss = run.series("train/loss")
    assert loss["epoch"].tolist() == [0, 1, 2, 3, 4]  # '1/5' is the first epoch
    assert loss["value"].tolist()[0] == pytest.approx(1.48 + 2.0 + 1.2)
    assert "train/loss is the sum of" in run.notes[0]


def test_lightning_progress_bar_keeps_each_epochs_last_state(datapath):
    run = read_run(datapath("text_log", "lightning_progress_bar.log"))
    table = run.by_epoch()
    assert table.index.tolist() == [0, 1, 2, 3]
    assert table["val/loss"].tolist() == pytest.approx([0.95, 0.85, 0.75, 0.65])
    assert "v_num" not in run.metrics


def test_mlx_lm_template_found_and_named(datapath):
    run = read_run(datapath("text_log", "mlx_lm_lora.log"))
    assert run.step_kind == "iteration"
    loss = run.series("train/loss")
    assert loss["step"].tolist()[:2] == [10, 20] and len(loss) == 20
    assert math.isnan(loss["value"].tolist()[-1])
    assert run.series("val/loss")["step"].tolist() == [1, 50, 100, 150, 200]
    assert run.series("lr")["value"].tolist()[0] == 1e-5
    assert run.meta["templates"][0].startswith("Iter {step}: Train loss {train_loss}, ")
    assert "read with the line templates found in the file" in run.notes[0]


def test_bigdl_loss_is_infinity_at_an_iteration(datapath):
    run = read_run(datapath("text_log", "bigdl_loss_infinity.log"))
    loss = run.series("train/loss")
    assert loss["step"].tolist() == list(range(1, 41))  # [Iteration N], not the N/M records
    assert loss["value"].tolist()[30] == math.inf and loss["value"].tolist()[29] < 3
    assert loss["epoch"].tolist()[0] == 0 and loss["epoch"].tolist()[-1] == 1


@pytest.mark.parametrize("line, name", [
    ("step {i}: loss 3.9", "train/loss"), ("step {i}: loss: 3.9", "train/loss"),
    ("step {i} loss=3.9", "train/loss"), ("{{'step': {i}, 'loss': 3.9}}", "train/loss"),
    ("it {i} | Train loss 3.316", "train/loss"), ("[{i}/100] val_loss -nan", "val/loss"),
])
def test_key_value_spellings(tmp_path, line, name):
    path = tmp_path / "run.out"
    path.write_text("".join(line.format(i=i) + "\n" for i in range(1, 6)))
    run = read_run(path)
    assert run.series(name)["step"].tolist() == [1, 2, 3, 4, 5]


def test_formats_explain_prints_the_template(datapath, capsys):
    assert main(["formats", "--explain", str(datapath("text_log", "mlx_lm_lora.log"))]) == 0
    out = capsys.readouterr().out
    assert "Iter {step}: Val loss {val_loss}, Val took {val_took}" in out


@pytest.mark.parametrize("content, reason", [
    (os.urandom(4096), "not a training log in any format this version reads (hint: run "),
    (b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 8, "not a training log"),
    (b"hello\nno numbers here\njust words\n" * 50, "(hint: no line holds a number; describe "
                                                  "the lines with --pattern"),
    (b"model said 1 then 0.5\nmodel said 2 then 0.4\n", "(hint: describe the lines with "
     "--pattern, e.g. from the most frequent line: 'model\\s+said"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, content, reason):
    path = tmp_path / "train.log"
    path.write_bytes(content)
    assert main(["analyze", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the 'reading' progress line
    assert err.startswith("reporter: error: ") and str(path) in err and reason in err
    assert "Traceback" not in err


def test_forced_text_refusal_carries_a_ready_pattern(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("".join(f"model said {i} then loss {i * 0.5}\n" for i in range(2)))
    with pytest.raises(LogFormatError) as info:
        read_run(path, format="text_log")
    hint = info.value.hint
    assert "--pattern" in hint and "(?P<" in hint
    pattern = hint.split("'")[1]
    run = read_run(path, pattern=pattern)
    assert len(run.scalars) > 0


def test_template_discovery_is_bounded(tmp_path):
    lines = (f"noise {i} {i % 7} words {i * 3}" for i in range(10 * MAX_LINES))
    assert isinstance(mine(lines), list)  # stops after MAX_LINES lines


def test_console_table_pasted_from_inside_a_table(datapath, tmp_path):
    """Issue pastes often start at a row: rows before the first header read under it."""
    text = datapath("text_log", "yolov7_console_nan.log").read_text(encoding="utf-8")
    path = tmp_path / "issue.md"
    path.write_text(text.split("img_size\n", 1)[1], encoding="utf-8")  # no first header
    clean = read_run(datapath("text_log", "yolov7_console_nan.log"))
    run = read_run(path)
    for metric in clean.metrics:
        assert run.series(metric)["value"].equals(clean.series(metric)["value"]), metric


def test_rare_evaluation_lines_beside_a_repeated_template(tmp_path):
    """A short paste: one 'Val loss' line next to the train lines, led the same way."""
    path = tmp_path / "paste.md"
    path.write_text("Iter 1: Val loss 2.381, Val took 16.942s\n" + "".join(
        f"Iter {i}: Train loss {8 - i / 25:.3f}, Learning Rate 7.000e-05\n"
        for i in (25, 50, 75)) + "Iter 75: Saved adapter weights to checkpoints/75_adapters.npz.\n")
    run = read_run(path)
    assert run.series("val/loss")["step"].tolist() == [1]
    assert run.series("train/loss")["step"].tolist() == [25, 50, 75]
    assert not any("checkpoints" in m for m in run.metrics)
