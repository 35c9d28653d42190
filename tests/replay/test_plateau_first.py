"""The first reduction of a plateau rule found without a replay is the replay's (issue 8)."""

from __future__ import annotations

import numpy as np
import pytest

from replay import KerasReduceLROnPlateau, ReduceLROnPlateau, lr_trajectory
from replay._plateau_first import keras_first_reductions, torch_first_reductions


def _first_drop(spec, m: np.ndarray) -> int | None:
    lr = lr_trajectory(spec, 1.0, m.size + 1, m).lr
    drops = np.flatnonzero(lr[1:] < lr[:-1])
    return int(drops[0]) if drops.size else None


def _metrics(rng: np.random.Generator) -> np.ndarray:
    n = int(rng.integers(2, 80))
    m = np.round(1 / np.sqrt(1 + np.arange(n)) + rng.normal(0, rng.choice([0.0, 0.02]), n), 3)
    if rng.random() < 0.2:
        m[rng.integers(n)] = np.nan
    return m


@pytest.mark.parametrize("seed", range(12))
def test_torch_first_reduction_is_the_replays(seed):
    rng = np.random.default_rng(seed)
    for _ in range(20):
        m = _metrics(rng)
        mode = str(rng.choice(["min", "max"]))
        thr, tmode = [(1e-4, "rel"), (0.0, "rel"), (1e-2, "abs"), (0.0, "abs")][rng.integers(4)]
        first = torch_first_reductions(m, m.size, mode, thr, tmode, range(8))
        for p in range(8):
            spec = ReduceLROnPlateau(mode, 0.5, p, thr, tmode)
            assert first.get(p) == _first_drop(spec, m), (m.tolist(), mode, thr, tmode, p)


@pytest.mark.parametrize("seed", range(12))
def test_keras_first_reduction_is_the_replays(seed):
    rng = np.random.default_rng(100 + seed)
    for _ in range(20):
        m = _metrics(rng)
        mode = str(rng.choice(["min", "max"]))
        delta = float(rng.choice([0.0, 1e-4, 1e-2]))
        first = keras_first_reductions(m, m.size, mode, delta, range(1, 8))
        for p in range(1, 8):
            spec = KerasReduceLROnPlateau(0.5, p, mode, delta)
            assert first.get(p) == _first_drop(spec, m), (m.tolist(), mode, delta, p)
