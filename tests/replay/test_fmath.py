"""replay._fmath: numpy cos only where it agrees with math.cos, a math.cos loop otherwise."""

from __future__ import annotations

import math

import numpy as np

from replay import CosineAnnealingLR, _fmath, lr_trajectory


def test_cos_matches_math_cos_bitwise():
    x = np.pi * np.arange(50_000) / 4999.0
    assert _fmath.cos(x).tolist() == [math.cos(v) for v in x.tolist()]


def test_cos_falls_back_to_math_when_numpy_disagrees(monkeypatch):
    monkeypatch.setattr(_fmath, "_numpy_cos_agrees", lambda: False)
    x = np.linspace(0, 10, 101).reshape(1, 101)
    out = _fmath.cos(x)
    assert out.shape == (1, 101)
    assert out.ravel().tolist() == [math.cos(v) for v in x.ravel().tolist()]
    lr = lr_trajectory(CosineAnnealingLR(T_max=10), 0.1, 30).lr
    monkeypatch.undo()
    assert lr.tolist() == lr_trajectory(CosineAnnealingLR(T_max=10), 0.1, 30).lr.tolist()
