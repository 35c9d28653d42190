"""The inputs and the arithmetic of ``benchmarks/analyze.py`` (its timings are printed by the
benchmark, never asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))

import analyze as bench  # noqa: E402


def test_growth_exponent_is_the_log_log_slope():
    sizes = [10_000, 100_000, 1_000_000]
    assert bench.slope(sizes, [2.0 * n for n in sizes]) == pytest.approx(1.0)
    assert bench.slope(sizes, [3.0 * n**2 for n in sizes]) == pytest.approx(2.0)


def test_history_has_its_spike_and_lr_steps():
    cols = bench.history(1000, val_every=100)
    assert set(cols) == {"_step", "loss", "learning_rate", "grad_norm", "val_loss"}
    lr = cols["learning_rate"]
    assert np.flatnonzero(lr[1:] != lr[:-1]).tolist() == [499, 749]
    assert cols["loss"][600] > 5 * cols["loss"][599]
    assert np.isfinite(cols["val_loss"]).sum() == 10


@pytest.mark.parametrize("log", ["csv", "tfevents"])
def test_written_history_reads_back(tmp_path, monkeypatch, log):
    from reporter.ingest import read_run

    monkeypatch.setattr(bench, "CACHE", tmp_path)
    path = bench.write_history(300, log)
    run = read_run(path)
    assert {"train/loss", "lr", "grad_norm"} <= set(run.metrics)
    loss = run.series("train/loss")["value"].to_numpy()
    assert loss.size == 300
    assert loss == pytest.approx(bench.history(300)["loss"], rel=1e-5)
