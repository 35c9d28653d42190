"""Generic history JSON shapes (issue 2; formats.md §9). Fixtures from a torch loop / Keras."""

from __future__ import annotations

import math

import pytest

from reporter.ingest import read_run


@pytest.mark.parametrize("name", ["dict_of_lists.json", "nested_splits.json",
                                  "records_one_based_epoch.json"])
def test_history_shapes_give_the_same_run(datapath, name):
    run = read_run(datapath("history_json", name))
    reference = read_run(datapath("history_json", "dict_of_lists.json"))
    for metric in ("train/loss", "val/loss", "lr"):
        assert run.series(metric)["value"].tolist() == reference.series(metric)["value"].tolist()
        assert run.series(metric)["epoch"].tolist() == list(range(12))


def test_history_one_based_epoch_is_shifted_with_note(datapath):
    run = read_run(datapath("history_json", "records_one_based_epoch.json"))
    assert run.notes == ["the 'epoch' field starts at 1; shifted to 0-based epoch indices"]


def test_history_step_value_pairs(datapath):
    run = read_run(datapath("history_json", "step_value_pairs.json"))
    assert run.step_kind == "optimizer_step"
    assert run.series("val/loss")["step"].tolist()[:3] == [7, 15, 23]
    assert len(run.series("train/loss")) == 96


def test_history_per_step_and_per_epoch_lists_flagged_guess(datapath):
    run = read_run(datapath("history_json", "per_step_and_per_epoch.json"))
    assert run.series("val/loss")["step"].tolist()[:2] == [7, 15]
    assert run.series("train/loss")["epoch"].iloc[8] == 1.0
    assert "8 steps per epoch being a guess" in run.notes[0]


def test_history_bare_nan_and_infinity(datapath):
    run = read_run(datapath("history_json", "bare_nan_infinity.json"))
    tail = run.series("train/loss")["value"].tolist()[-2:]
    assert math.isnan(tail[0]) and tail[1] == math.inf


def test_history_keras_dump_keeps_every_list_per_epoch(datapath):
    run = read_run(datapath("history_json", "keras_history.json"))
    assert run.meta == {"framework": "keras", "lr_timing": "used"}
    assert run.step_kind == "epoch"
    assert run.series("train/loss")["epoch"].tolist() == [0, 1, 2]
    assert "guess for the shorter ones" in run.notes[0]


def test_history_null_entries_are_not_logged(tmp_path):
    path = tmp_path / "history.json"
    path.write_text('{"train_loss": [1.0, null, 0.5], "val_loss": [1.2, 1.1, NaN]}')
    run = read_run(path)
    assert run.series("train/loss")["epoch"].tolist() == [0, 2]
    assert math.isnan(run.series("val/loss")["value"].iloc[2])


def test_sacred_metrics_json(tmp_path):
    """Sacred FileStorageObserver layout (formats.md §8), written to its schema."""
    path = tmp_path / "metrics.json"
    path.write_text('{"training.loss": {"steps": [0, 1, 2], "timestamps": '
                    '["2026-11-25T15:56:19.543117", "2026-11-25T15:56:20.0", '
                    '"2026-11-25T15:56:21.0"], "values": [1.0, NaN, 0.5]}, '
                    '"val_loss": {"steps": [2], "timestamps": ["2026-11-25T15:56:21.5"], '
                    '"values": [0.7]}}')
    run = read_run(path)
    assert run.meta["app"] == "sacred" and run.step_kind == "optimizer_step"
    loss = run.series("train/loss")
    assert loss["step"].tolist() == [0, 1, 2] and math.isnan(loss["value"].iloc[1])
    assert loss["wall_time"].iloc[0] == pytest.approx(1795622179.543117)
    assert run.series("val/loss")["step"].tolist() == [2]
