"""Bad input gives one line naming the file and the problem (issue 2, "Done when")."""

from __future__ import annotations

import re

import pytest

from reporter.errors import LogFormatError, UsageError
from reporter.ingest import read_run


def test_missing_path(tmp_path):
    # issue 2: missing path
    with pytest.raises(LogFormatError, match=r"nope\.csv: no such file or directory$"):
        read_run(tmp_path / "nope.csv")


@pytest.mark.parametrize("name", ["metrics.csv", "trainer_state.json", "log.csv", "h.json"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_text("\n  \n")
    with pytest.raises(LogFormatError, match=rf"{re.escape(name)}: empty file$"):
        read_run(path)


@pytest.mark.parametrize("fmt", ["history_json", "hf_trainer_state", "keras_csv",
                                 "lightning_csv"])
def test_empty_file_forced_format(tmp_path, fmt):
    path = tmp_path / "x.json"
    path.write_text("")
    with pytest.raises(LogFormatError, match=r"x\.json: empty file$"):
        read_run(path, format=fmt)


def test_truncated_json_names_the_line(tmp_path):
    path = tmp_path / "history.json"
    path.write_text('{"train_loss": [1.0,\n 0.9,\n 0.8')
    with pytest.raises(LogFormatError,
                       match=r"history\.json:3: truncated JSON: the file ends inside a value$"):
        read_run(path)


def test_truncated_trainer_state(tmp_path):
    path = tmp_path / "trainer_state.json"
    path.write_text('{\n  "log_history": [\n    {"loss": 1.0, "step": 1},\n    {"loss": 0.')
    with pytest.raises(LogFormatError, match=r"trainer_state\.json:4: truncated JSON"):
        read_run(path)


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "history.json"
    path.write_text('{"loss": [1.0, 0.9]}\n{"loss": [2]}\n')
    with pytest.raises(LogFormatError,
                       match=r"history\.json:2: invalid JSON: Extra data \(column 1\)$"):
        read_run(path)


def test_csv_without_loss_column(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("epoch,accuracy,val_accuracy\n0,0.5,0.4\n")
    with pytest.raises(LogFormatError, match=r"log\.csv: no loss series "
                                             r"\(metrics found: train/acc, val/acc\)$"):
        read_run(path, format="keras_csv")
    # --loss applies before that check (issue 7, item 4)
    assert read_run(path, format="keras_csv", loss_metric="val_accuracy").has("val/acc")


def test_lightning_csv_without_loss_column(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,val_acc\n0,3,0.5\n")
    with pytest.raises(LogFormatError, match=r"metrics\.csv: no loss series "
                                             r"\(metrics found: val/acc\)$"):
        read_run(path)
    # --loss applies before that check, as for the other readers (issue 7, item 4)
    assert read_run(path, loss_metric="val_acc").has("val/acc")


def test_unknown_format_content(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("nothing to see here\n")
    with pytest.raises(LogFormatError, match=r"notes\.txt: not a training log in any format "
                                             r"this version reads$") as info:
        read_run(path)
    assert "reporter formats" in info.value.hint


def test_folder_without_logs(tmp_path):
    (tmp_path / "README.md").write_text("hello\n")
    with pytest.raises(LogFormatError, match=r": no training log found in this folder$"):
        read_run(tmp_path)


def test_unknown_format_id_suggests_the_closest():
    with pytest.raises(UsageError, match=r"unknown format 'keras_cvs'; choose one of: .*"
                                         r"\(did you mean 'keras_csv'\?\)$"):
        read_run("whatever.csv", format="keras_cvs")


def test_json_that_is_not_a_history(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"lr": 0.1, "name": "x"}')
    with pytest.raises(LogFormatError, match=r"config\.json: not a training history: no list "
                                             r"of numbers found \(keys: lr, name\)$"):
        read_run(path)


def test_history_without_loss_series(tmp_path):
    path = tmp_path / "history.json"
    path.write_text('{"accuracy": [0.1, 0.2]}')
    with pytest.raises(LogFormatError, match=r"history\.json: no loss series "
                                             r"\(metrics found: train/acc\)$"):
        read_run(path)


def test_error_is_a_single_line(tmp_path):
    path = tmp_path / "history.json"
    path.write_text('{"train_loss": [1.0,')
    with pytest.raises(LogFormatError) as info:
        read_run(path)
    assert "\n" not in str(info.value)
    assert info.value.path == str(path) and info.value.line == 1


def test_yaml_config_says_it_is_a_config(tmp_path):
    path = tmp_path / "hparams.yaml"
    path.write_text("lr: 0.01\n")
    with pytest.raises(LogFormatError, match=r"hparams\.yaml: a YAML file \(a config or hparams "
                                             r"beside a run, not a log\): not a training log"):
        read_run(path)
