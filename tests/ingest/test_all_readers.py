"""Shared contract of every reader, run on one real-framework fixture each (issue 2)."""

from __future__ import annotations

import math

import pandas as pd

from reporter.ingest import read_run
from reporter.ingest.run import SCALAR_COLUMNS, STEP_KINDS, Run


def test_reader_fixture_detected_and_read_as_canonical_run(all_readers):
    format_id, path, framework, step_kind = all_readers
    run = read_run(path)
    assert isinstance(run, Run)
    assert run.format == format_id
    assert run.step_kind == step_kind and run.step_kind in STEP_KINDS
    assert run.meta["framework"] == framework
    assert run.meta["lr_timing"] in ("used", "after_step", "unknown")
    assert tuple(run.scalars.columns) == SCALAR_COLUMNS


def test_reader_forced_format_gives_same_run(all_readers):
    format_id, path, _, _ = all_readers
    assert read_run(path, format=format_id).scalars.equals(read_run(path).scalars)


def test_reader_dtypes_are_canonical(all_readers):
    scalars = read_run(all_readers[1]).scalars
    assert str(scalars["step"].dtype) in ("Int32", "Int64")  # narrowed where steps fit
    for column in ("epoch", "wall_time", "value"):
        assert scalars[column].dtype == "float64", column
    assert scalars["segment"].dtype == "int64"


def test_reader_has_train_loss_and_canonical_names(all_readers):
    run = read_run(all_readers[1])
    assert run.has("train/loss")
    assert not {"loss", "train_loss", "learning_rate", "lr-Adam"} & set(run.metrics)


def test_reader_lr_series_where_the_format_logged_one(all_readers):
    run = read_run(all_readers[1])
    assert run.has("lr")
    assert (run.series("lr")["value"] >= 0).all()


def test_reader_no_duplicate_metric_step_after_resolution(all_readers):
    scalars = read_run(all_readers[1]).scalars
    with_step = scalars.dropna(subset=["step"])
    assert not with_step.duplicated(subset=["metric", "step"]).any()


def test_reader_views_work(all_readers):
    run = read_run(all_readers[1])
    by_epoch = run.by_epoch()
    assert "train/loss" in by_epoch.columns
    assert by_epoch.index.min() == 0, "epoch is a 0-based index"
    assert isinstance(run.by_step(), pd.DataFrame)


def test_reader_epochs_are_zero_based_or_progress(all_readers):
    run = read_run(all_readers[1])
    epochs = run.scalars["epoch"].dropna()
    if run.meta.get("epoch_kind") == "progress":
        assert epochs.min() > 0
    else:
        assert epochs.min() == 0
        assert all(math.isclose(e, round(e)) for e in epochs)
