"""Where a plateau rule first lowers the LR, for every patience at once, without a replay.

Before its first reduction a plateau scheduler's state is its best value and its count of
bad epochs since the last improvement; the cooldown and the floor play no part yet. So the
epochs that improve (found once per comparison rule) give the first reduction of every
patience: torch reduces after epoch ``k = s + patience + 1``, Keras (>= 3.11) after
``k = s + max(patience, 1)``, ``s`` the last improvement before ``k`` (torch starts from
``best = ±inf``, ``s = -1``; Keras counts its first epoch as an improvement). The inference
uses this to drop, before any replay, every plateau rule whose first reduction is not where
the logged LR first changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from replay._plateau import _bound_fn
from replay.torch_schedulers import ReduceLROnPlateau
from replay.types import FloatArray

__all__ = ["keras_first_reductions", "torch_first_reductions"]

_F = np.float32
#: ``(values, best) -> mask``: which values improve on ``best``
_Values = npt.NDArray[np.floating[Any]]
_Mask = npt.NDArray[np.bool_]
_Better = Callable[[_Values, float], _Mask]


def _next_better(better: _Better, m: _Values, i: int, best: float) -> int:
    """First index >= ``i`` whose value improves on ``best`` (``m.size`` if none), searched
    in growing chunks."""
    chunk = 64
    while i < m.size:
        hit = better(m[i : i + chunk], best)
        if hit.any():
            return i + int(hit.argmax())
        i, chunk = i + chunk, min(chunk * 4, 1 << 20)
    return int(m.size)


def _first_counts(compared: _Values, metric: FloatArray, better: _Better, best: float,
                  s: int, needs: list[int]) -> dict[int, int]:
    """``need -> k``: the first epoch ``k`` whose count of bad epochs since the last
    improvement (``s`` before the first) reaches ``need``; missing when the series ends first.

    ``better(compared[i:j], best)`` tells the improvements; ``best`` becomes ``metric[j]`` at
    each improvement ``j``. The search stops once the largest need is reached.
    """
    pending = sorted(set(needs))
    found: dict[int, int] = {}
    while pending:
        j = _next_better(better, compared, s + 1, best)
        while pending and s + pending[0] < j:
            need = pending.pop(0)
            found[need] = s + need
        if j >= compared.size:
            break
        s, best = j, float(metric[j])
    return found


def torch_first_reductions(metrics: FloatArray, limit: int, mode: str, threshold: float,
                           threshold_mode: str, patiences: range) -> dict[int, int]:
    """``patience -> k``: the epoch after which torch's ``ReduceLROnPlateau`` first reduces,
    over ``metrics[:limit]`` (missing when it does not before ``limit``)."""
    spec = ReduceLROnPlateau(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
    bound, op = _bound_fn(spec)

    def better(values: _Values, best: float) -> _Mask:
        out: _Mask = op(values, bound(best))
        return out

    m = np.ascontiguousarray(metrics[:limit], dtype=np.float64)
    start = np.inf if mode == "min" else -np.inf
    found = _first_counts(m, m, better, start, -1, [p + 1 for p in patiences])
    return {p: found[p + 1] for p in patiences if p + 1 in found}


def keras_first_reductions(metrics: FloatArray, limit: int, mode: str, min_delta: float,
                           patiences: range) -> dict[int, int]:
    """``patience -> k``: the epoch after which Keras' ``ReduceLROnPlateau`` (>= 3.11, float32
    comparisons, ``best = None``) first reduces, over ``metrics[:limit]``."""
    m = np.asarray(metrics[:limit], dtype=np.float64)
    if m.size == 0:
        return {}
    d = abs(min_delta)
    shifted = (m + d if mode == "min" else m - d).astype(_F)  # f32(current - delta)
    op = np.less if mode == "min" else np.greater

    def better(values: _Values, best: float) -> _Mask:
        out: _Mask = op(values, _F(best))
        return out

    # the comparisons read f32(m -+ delta), the best is the metric itself; the first epoch
    # always improves
    found = _first_counts(shifted, m, better, float(m[0]), 0, [max(p, 1) for p in patiences])
    return {p: found[max(p, 1)] for p in patiences if max(p, 1) in found}
