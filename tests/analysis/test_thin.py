"""Plot series thinned for report.json: extremes, non-finite points and steps survive, and the
replays stay aligned with their curve (issue 8, item 8)."""

from __future__ import annotations

import numpy as np

from reporter.analysis.thin import SERIES_POINTS, _position, keep_indices


def test_short_series_are_kept_whole():
    assert keep_indices(SERIES_POINTS, [[1.0] * SERIES_POINTS]) is None


def test_a_one_point_spike_a_nan_and_every_lr_step_survive():
    n = 1_000_000
    rng = np.random.default_rng(1)
    loss = (1 + rng.random(n)).tolist()
    loss[123_457] = 50.0
    loss[700_001] = None
    lr = np.where(np.arange(n) < 500_000, 1e-3, 1e-4).tolist()
    keep = keep_indices(n, [loss, lr])
    assert keep is not None and keep.size < 3 * SERIES_POINTS
    kept = set(keep.tolist())
    assert {0, n - 1, 123_457, 700_001, 499_999, 500_000} <= kept
    # the thinned curve still holds its extremes
    values = [loss[i] for i in keep if loss[i] is not None]
    assert max(values) == 50.0 and min(values) == min(v for v in loss if v is not None)


def test_positions_map_into_the_thinned_series():
    keep = np.array([0, 5, 9, 20])
    assert [_position(i, keep, 21) for i in (0, 9, 20, 21, 23, None)] == [0, 2, 3, 4, 6, None]


def test_analysis_thins_long_series_unless_asked_for_all(tmp_path):
    from reporter.analysis.pipeline import analyze

    n = 6000
    rng = np.random.default_rng(2)
    loss = 2 + 5 / np.sqrt(1 + np.arange(n) / 50) * np.exp(rng.normal(0, 0.02, n))
    loss[4000] *= 9
    lr = np.where(np.arange(n) < 3000, 1e-3, 1e-4)
    path = tmp_path / "wandb_export.csv"
    path.write_text("_step,loss,learning_rate\n" + "".join(
        f"{i},{loss[i]:.6g},{lr[i]:g}\n" for i in range(n)))
    thinned = analyze(path, confirm="off")
    full = analyze(path, confirm="off", full_series=True)
    assert len(full.series["train/loss"].x) == n
    short = thinned.series["train/loss"]
    assert len(short.x) < n and 4000.0 in short.x
    assert max(short.y) == max(full.series["train/loss"].y)
    assert len(thinned.current.replay.lr) == len(thinned.series["lr_used"].x)
    assert any(note.code == "report.series_thinned" for note in thinned.notes)
    assert not any(note.code == "report.series_thinned" for note in full.notes)
    assert thinned.diagnosis.findings == full.diagnosis.findings
