"""Detection and the format list (issue 2; formats.md §10)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reporter.ingest import FORMATS, detect, formats, read_run


def test_formats_list_ids_descriptions_and_what_they_read():
    ids = [f.id for f in formats()]
    assert ids == [f.id for f in FORMATS]
    assert {"hf_trainer_state", "lightning_csv", "keras_csv", "torch_checkpoint",
            "history_json"} <= set(ids)
    for info in FORMATS:
        assert info.description and info.reads and info.detected_by


@pytest.mark.parametrize(("relpath", "expected"), [
    ("hf_trainer_state/eval_and_summary.json", "hf_trainer_state"),
    ("hf_trainer_state/output_dir_checkpoints", "hf_trainer_state"),
    ("lightning_csv/sparse_lr_monitor.csv", "lightning_csv"),
    ("lightning_csv/resumed_versions", "lightning_csv"),
    ("lightning_csv/resumed_versions/version_0", "lightning_csv"),
    ("keras_csv/append_rerun_na_cells.csv", "keras_csv"),
    ("torch_checkpoint/tensor_lists.pth", "torch_checkpoint"),
    ("torch_checkpoint/legacy_serialization.pt", "torch_checkpoint"),
    ("history_json/records_one_based_epoch.json", "history_json"),
    ("tfevents/simple_values", "tfevents"),
    ("tfevents/keras_train_validation", "tfevents"),
    ("tfevents/add_scalars_folders", "tfevents"),
])
def test_detect_best_format(datapath, relpath, expected):
    assert detect(datapath(relpath))[0][1] == expected


def test_lightning_header_starting_with_epoch_is_not_keras(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("epoch,lr-Adam,step,train_loss\n0,,1,0.5\n")
    assert detect(path)[0][1] == "lightning_csv"


def test_folder_with_one_log_file_reads_it(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "history.json").write_text('{"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}')
    run = read_run(tmp_path)
    assert run.format == "history_json"
    assert run.name == tmp_path.name  # a generic file name: the run is the folder


def test_run_named_after_folder_for_generic_file_names(datapath):
    assert read_run(datapath("hf_trainer_state", "output_dir_checkpoints")).name == \
        "output_dir_checkpoints"
    assert read_run(datapath("lightning_csv", "resumed_versions", "version_1",
                             "metrics.csv")).name == "resumed_versions/version_1"


def test_import_is_cheap():
    code = ("import sys, reporter.ingest as i; i.FORMATS; "
            "print(sorted(m for m in ('pandas', 'numpy', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_folder_prefers_full_precision_csv_over_event_files(datapath, tmp_path):
    """An Ultralytics run folder holds results.csv and float32 event files of the same run."""
    import shutil

    shutil.copy(datapath("ultralytics_csv", "v8_4_time_column.csv"), tmp_path / "results.csv")
    for event in datapath("tfevents", "simple_values").iterdir():
        shutil.copy(event, tmp_path)
    run = read_run(tmp_path)
    assert run.format == "ultralytics_csv"
    assert run.notes[-1] == ("read results.csv; other log files here were not merged: the "
                             "tfevents files of the folder")
