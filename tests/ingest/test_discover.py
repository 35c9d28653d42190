"""Finding every run under a folder (issue 4, "Trees")."""

from __future__ import annotations

import shutil

import pytest

from reporter.errors import LogFormatError
from reporter.ingest import discover, read_run, read_tree


def test_tree_of_mixed_runs(datapath, tmp_path):
    """
    tmp/
      hf/checkpoint-*/trainer_state.json      -> one run (the folder)
      lightning_logs/version_0, version_1     -> one run (version_1 resumes at step 13)
      mlruns/<exp>/<run>/metrics/...          -> one run per MLflow run folder
      keras/training_log.csv, notes.txt       -> the CSV only
      tb/train/, tb/validation/               -> one run (Keras TensorBoard folders)
      wandb/offline-run-*/, wandb/latest-run  -> one run (the symlink is not a second one)
    """
    shutil.copytree(datapath("hf_trainer_state", "output_dir_checkpoints"), tmp_path / "hf")
    shutil.copytree(datapath("lightning_csv", "resumed_versions"), tmp_path / "lightning_logs")
    shutil.copytree(datapath("mlflow", "file_store_nested_keys", "mlruns"), tmp_path / "mlruns")
    (tmp_path / "keras").mkdir()
    shutil.copy(datapath("keras_csv", "nan_loss_from_epoch_3.csv"),
                tmp_path / "keras" / "training_log.csv")
    (tmp_path / "keras" / "notes.txt").write_text("lr 0.01, batch 32\n")
    shutil.copytree(datapath("tfevents", "keras_train_validation"), tmp_path / "tb")
    run_dir = next(datapath("wandb", "offline_run").glob("offline-run-*"))
    shutil.copytree(run_dir, tmp_path / "wandb" / run_dir.name)
    (tmp_path / "wandb" / "latest-run").symlink_to(tmp_path / "wandb" / run_dir.name)

    runs = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert runs[:3] == ["hf", "keras/training_log.csv", "lightning_logs"]
    assert len([r for r in runs if r.startswith("mlruns/")]) == 2
    assert runs[-2:] == ["tb", f"wandb/{run_dir.name}"]
    assert len(runs) == 7
    results = read_tree(tmp_path)
    assert all(not isinstance(run, Exception) for _, run in results)
    assert {run.format for _, run in results} == {"hf_trainer_state", "keras_csv",
                                                  "lightning_csv", "mlflow", "tfevents", "wandb"}


def test_lightning_versions_from_scratch_are_separate_runs(datapath, tmp_path):
    for version in ("version_0", "version_1"):
        shutil.copytree(datapath("lightning_csv", "resumed_versions", "version_0"),
                        tmp_path / "lightning_logs" / version)
    runs = [p.name for p in discover(tmp_path)]
    assert runs == ["version_0", "version_1"]


def test_folder_with_one_run_below_reads_it(datapath, tmp_path):
    run_dir = next(datapath("wandb", "offline_run").glob("offline-run-*"))
    shutil.copytree(run_dir, tmp_path / "wandb" / run_dir.name)
    run = read_run(tmp_path / "wandb")
    assert run.format == "wandb"
    assert run.notes[0] == f"the only run in this folder: {run_dir.name}"


def test_folder_with_several_runs_below_names_them(datapath, tmp_path):
    shutil.copytree(datapath("mlflow", "file_store_nested_keys", "mlruns"), tmp_path / "mlruns")
    with pytest.raises(LogFormatError, match=r"mlruns: holds 2 runs \(.*\); pass one of them, "
                                             r"or analyze the folder as a tree$"):
        read_run(tmp_path / "mlruns")


def test_discover_a_file_and_a_missing_path(datapath, tmp_path):
    path = datapath("keras_csv", "nan_loss_from_epoch_3.csv")
    assert discover(path) == [path]
    with pytest.raises(LogFormatError, match=r"nope: no such file or directory$"):
        discover(tmp_path / "nope")
