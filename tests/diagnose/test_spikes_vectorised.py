"""The vectorised spike rule gives exactly what stepping through every point gave (issue 8,
item 8): the point-by-point loop it replaced is kept here as the reference."""

from __future__ import annotations

import numpy as np
import pytest

from reporter.diagnose import spikes as sp


def _reference_recovery(y: np.ndarray, onset: int, back: float) -> int | None:
    after = y[onset + 1:]
    hits = np.nonzero(np.isfinite(after) & (after <= back))[0]
    return onset + 1 + int(hits[0]) if len(hits) else None


def _reference(values, ratio=None, noise_multiple=None) -> list[sp.Spike]:
    """The loop of find_spikes before vectorisation: the median of the last points per point."""
    y = np.asarray(values, dtype=float)
    if np.isfinite(y).sum() < 3:
        return []
    quantum = sp._quantum(y)
    resid = (sp._residuals(y, quantum), sp._abs_residuals(y))
    warmup = max(sp.WARMUP_POINTS, int(sp.WARMUP_FRACTION * len(y)))
    out: list[sp.Spike] = []
    best, best_i = np.inf, -1
    recent: list[float] = []
    i = 0
    while i < len(y):
        v = y[i]
        if not np.isfinite(v):
            i += 1
            continue
        level = float(np.median(recent[-sp.LEVEL_POINTS:])) if recent else None
        spike = None
        if level is not None and level > 0 and v >= (ratio or sp.SPIKE_RATIO) * level \
                and v - level >= sp.QUANTA * quantum:
            spike = sp._candidate(y, resid, i, level, best, best_i, ratio or sp.SPIKE_RATIO,
                                  noise_multiple or sp.NOISE_MULTIPLE)
        if spike is not None:
            if i >= warmup or not spike.recovered:
                out.append(sp._mark_open(spike, len(y)))
            if spike.end is None:
                break
            i = spike.end
            recent = [level]
            continue
        if v < best:
            best, best_i = v, i
        recent.append(float(v))
        i += 1
    return out


def _series(rng: np.random.Generator) -> np.ndarray:
    n = int(rng.integers(3, 400))
    kind = rng.integers(4)
    t = np.arange(n)
    y = (2 + 5 / np.sqrt(1 + t)) * np.exp(rng.normal(0, rng.choice([0.0, 0.01, 0.1, 0.4]), n))
    if kind == 1:  # rounded, as a console prints it
        y = np.round(y, int(rng.integers(1, 4)))
    if kind == 2:  # near zero: absolute noise
        y = np.abs(rng.normal(0, 0.01, n))
    for _ in range(int(rng.integers(0, 5))):  # spikes of one to a few points, recovered or not
        at = int(rng.integers(0, n))
        y[at:at + int(rng.integers(1, 6))] *= rng.choice([1.5, 3.0, 8.0, 50.0])
    holes = rng.random(n) < rng.choice([0.0, 0.05, 0.3])
    y[holes] = rng.choice([np.nan, np.inf, -np.inf], size=int(holes.sum()))
    return y


@pytest.mark.parametrize("seed", range(40))
def test_find_spikes_same_as_the_point_by_point_loop(seed):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        y = _series(rng)
        assert sp.find_spikes(y) == _reference(y)
        assert sp.find_spikes(y, ratio=2.0, noise_multiple=5.0) == \
            _reference(y, ratio=2.0, noise_multiple=5.0)


def test_recovery_same_as_a_search_of_the_whole_rest():
    rng = np.random.default_rng(3)
    y = rng.random(5000)
    y[rng.random(5000) < 0.1] = np.nan
    for onset in (0, 10, 4000, 4998, 4999):
        for back in (0.001, 0.5, -1.0):
            assert sp._recovery(y, onset, back) == _reference_recovery(y, onset, back)


def test_a_long_series_gives_its_spikes():
    rng = np.random.default_rng(8)
    y = (2 + 8 / np.sqrt(1 + np.arange(200_000) / 2000)) * np.exp(rng.normal(0, 0.03, 200_000))
    y[120_000:120_003] *= 8
    (spike,) = sp.find_spikes(y)
    assert (spike.onset, spike.recovered) == (120_000, True)
