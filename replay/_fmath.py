"""Elementwise float64 math that agrees bit for bit with Python's ``math`` module.

numpy's ``cos`` may use its own SIMD kernels on some CPUs; torch and transformers call
``math.cos`` (the C library). The first call checks numpy against ``math`` on a fixed sample
of the arguments schedules use, and falls back to a ``math.cos`` loop if any value differs.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from replay.types import FloatArray

__all__ = ["cos"]


@cache
def _numpy_cos_agrees() -> bool:
    sample = np.concatenate(
        [
            np.linspace(-4 * math.pi, 4 * math.pi, 4001),
            math.pi * np.arange(0, 2001) / 997.0,
            math.pi * np.arange(0, 2001) / 1000.0,
            np.geomspace(1e-9, 1e4, 2000),
        ]
    )
    return bool(np.array_equal(np.cos(sample), [math.cos(v) for v in sample.tolist()]))


def cos(x: FloatArray) -> FloatArray:
    """``math.cos`` of every element, vectorised when numpy gives the same values."""
    if _numpy_cos_agrees():
        return np.cos(x)
    return np.array([math.cos(v) for v in np.ravel(x).tolist()], dtype=np.float64).reshape(
        np.shape(x)
    )
