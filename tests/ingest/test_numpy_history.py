"""Histories saved with numpy (formats.md §9: ``np.load(allow_pickle=False)`` only)."""

from __future__ import annotations

import numpy as np
import pytest

from reporter.errors import LogFormatError
from reporter.ingest import read_run


def test_npz_of_lists(tmp_path):
    path = tmp_path / "history.npz"
    np.savez(path, train_loss=np.array([1.0, 0.5, np.nan]), val_loss=np.array([1.2, 0.7, 0.6]),
             lr=np.array([0.1, 0.1, 0.05]))
    run = read_run(path)
    assert run.format == "numpy_history"
    assert set(run.metrics) == {"train/loss", "val/loss", "lr"}
    assert run.series("lr")["epoch"].tolist() == [0, 1, 2]


def test_npy_single_series_named_by_file(tmp_path):
    path = tmp_path / "val_loss.npy"
    np.save(path, np.array([0.9, 0.8]))
    run = read_run(path, format="numpy_history")
    assert run.metrics == ["val/loss"]


def test_npy_of_a_dict_is_refused_not_unpickled(tmp_path):
    path = tmp_path / "history.npy"
    np.save(path, {"loss": [1.0, 0.5]}, allow_pickle=True)
    with pytest.raises(LogFormatError, match=r"history\.npy: a pickled object array \(np\.save "
                                             r"of a dict or list\), which is not loaded"):
        read_run(path)
