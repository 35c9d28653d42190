"""MLflow file store and SQLite store (issue 4; formats.md §6). Written by mlflow 3.17.2."""

from __future__ import annotations

import math

import pytest

from reporter.errors import LogFormatError
from reporter.ingest import read_run


def _run_dirs(datapath):
    root = datapath("mlflow", "file_store_nested_keys", "mlruns")
    return sorted(p.parent for p in root.glob("*/*/meta.yaml"))


def _by_name(datapath, name):
    return next(d for d in _run_dirs(datapath) if read_run(d).name == name)


def test_file_store_run_folder(datapath):
    run = read_run(_by_name(datapath, "diverged_run"))
    assert run.format == "mlflow" and run.meta["store"] == "file"
    assert run.meta["status"] == "FINISHED"
    assert set(run.metrics) == {"train/loss", "val/loss", "lr"}  # metrics/train/loss: nested
    loss = run.series("train/loss")["value"].tolist()
    assert len(loss) == 12 and math.isnan(loss[9]) and loss[10] == math.inf
    assert run.series("val/loss").set_index("step")["value"][10] == -math.inf


def test_file_store_same_step_logged_twice_last_wins(datapath):
    run = read_run(_by_name(datapath, "diverged_run"))
    assert run.series("val/loss")["value"].iloc[-1] == 0.5
    assert "logged twice" in run.notes[0]


def test_file_store_metric_file_reads_its_run(datapath):
    run_dir = _by_name(datapath, "short_run")
    run = read_run(run_dir / "metrics" / "train" / "loss")
    assert set(run.metrics) == {"train/loss", "val/loss", "lr"}
    assert run.name == "short_run"
    assert run.series("lr")["wall_time"].iloc[0] > 1.7e9


def test_param_file_is_refused_with_its_value(datapath):
    path = _run_dirs(datapath)[0] / "params" / "lr"
    with pytest.raises(LogFormatError, match=r"params/lr: an MLflow parameter \(lr = 0\.05\), "
                                             r"not a metric series"):
        read_run(path)


def test_sqlite_store_sentinels_and_latest_run(datapath):
    run = read_run(datapath("mlflow", "sqlite_nan_inf_sentinels.db"))
    assert run.meta["store"] == "sqlite" and run.name == "diverged_run"
    loss = run.series("train/loss")["value"].tolist()
    assert math.isnan(loss[9]) and loss[10] == math.inf  # is_nan=1, +1.797e308
    assert run.series("val/loss").set_index("step")["value"][10] == -math.inf
    assert "holds 2 runs" in run.notes[0]


def test_sqlite_and_file_store_agree(datapath):
    db = read_run(datapath("mlflow", "sqlite_nan_inf_sentinels.db")).by_step()
    files = read_run(_by_name(datapath, "diverged_run")).by_step()
    assert db.equals(files[db.columns])


def test_metric_file_on_its_own_is_a_run_named_by_the_file(datapath, tmp_path):
    """A metric file copied out of its run (attached to an issue): one series, its name."""
    source = _by_name(datapath, "diverged_run") / "metrics" / "train" / "loss"
    alone = tmp_path / "train_loss"
    alone.write_bytes(source.read_bytes())
    run = read_run(alone)
    assert run.format == "mlflow" and run.metrics == ["train/loss"]
    assert run.name == "train_loss" and run.meta["metric_file"] == "train_loss"
    loss = run.series("train/loss")["value"].tolist()
    assert len(loss) == 12 and math.isnan(loss[9]) and loss[10] == math.inf
    pasted = tmp_path / "loss.txt"
    pasted.write_bytes(source.read_bytes())
    assert read_run(pasted).scalars.equals(run.scalars)


def test_run_folder_without_meta_yaml_reads(datapath, tmp_path):
    import shutil

    source = _by_name(datapath, "short_run")
    copy = tmp_path / "run"
    shutil.copytree(source / "metrics", copy / "metrics")
    run = read_run(copy)
    assert run.format == "mlflow" and run.name == "run"
    assert set(run.metrics) == {"train/loss", "val/loss", "lr"}
    assert run.scalars.equals(read_run(source).scalars)


def test_text_with_numbers_in_three_columns_is_not_a_metric_file(tmp_path):
    path = tmp_path / "table.txt"
    path.write_text("1 2.5 3\n2 2.4 4\n")
    from reporter.ingest import detect

    assert "mlflow" not in [f for _, f in detect(path)]


def test_batch_losses_logged_at_the_epoch_step_are_all_kept(tmp_path):
    """``mlflow.log_metric("train_loss", loss, step=epoch)`` inside the batch loop: the file
    store appends a line per call (``FileStore.log_metric``: ``f"{ts} {value} {step}"``)."""
    metrics = tmp_path / "run" / "metrics"
    metrics.mkdir(parents=True)
    values = [3.0 - 0.1 * k for k in range(20)]
    values[9] = math.nan  # epoch 2, third batch
    (metrics / "train_loss").write_text("".join(
        f"{1700000000000 + k} {v} {k // 4}\n" for k, v in enumerate(values)))
    (metrics / "val_loss").write_text("".join(  # an occasional re-log: the last one wins
        f"{1700000000000 + e} {2.0 - 0.1 * e} {e}\n" for e in (0, 1, 2, 3, 4, 4)))
    run = read_run(tmp_path / "run")
    loss = run.series("train/loss")
    assert loss["step"].tolist() == [k // 4 for k in range(20)]
    assert loss["value"].tolist()[:9] == pytest.approx(values[:9]) and math.isnan(loss["value"][9])
    assert len(run.series("val/loss")) == 5
    assert any("train/loss: several values per step (4 at most" in n for n in run.notes)
