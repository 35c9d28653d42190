"""Linear LR warm-up laid over another schedule's LR path."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from replay.types import FloatArray

__all__ = ["WARMUP_RULES", "linear_warmup", "warmup_factor"]

#: ``torch``: ``LinearLR(start_factor=1/W, total_iters=W-1)`` chained before the schedule
#: (index ``i`` trains at ``(i+1)/W``, the first epoch already moves);
#: ``hf``: the ``warmup_steps`` ramp of HF's schedules (step ``s`` at ``s/W``, step 0 at 0);
#: ``keras``: ``LearningRateScheduler(lambda epoch, lr: base * (epoch + 1) / W if epoch < W
#: else lr)``, the same factors as ``torch``.
WARMUP_RULES = ("torch", "hf", "keras")


def warmup_factor(n: int, warmup: int, rule: str = "torch") -> FloatArray:
    """The warm-up's multiplier of the LR at indices ``0 .. n-1``.

    .. math::
        f_i = \\min\\left(1, \\frac{i + 1}{W}\\right) \\text{ (torch, keras)}, \\qquad
        f_i = \\min\\left(1, \\frac{i}{W}\\right) \\text{ (hf)}

    where :math:`W` = ``warmup``. ``warmup`` 0 gives ones.

    Args:
        n (int): number of indices (epochs or optimizer steps).
        warmup (int): :math:`W`, >= 0.
        rule (str): one of :data:`WARMUP_RULES`. Default: ``"torch"``.

    Example:
        >>> from replay.warmup import warmup_factor
        >>> [float(f) for f in warmup_factor(5, 4)]
        [0.25, 0.5, 0.75, 1.0, 1.0]
        >>> [float(f) for f in warmup_factor(5, 4, rule="hf")]
        [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    if warmup < 0 or int(warmup) != warmup:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")
    if rule not in WARMUP_RULES:
        raise ValueError(f"rule must be one of {', '.join(map(repr, WARMUP_RULES))}, got {rule!r}")
    index = np.arange(n, dtype=np.float64)
    if warmup == 0:
        return np.ones(n, dtype=np.float64)
    ramp = index / warmup if rule == "hf" else (index + 1.0) / warmup
    factor: FloatArray = np.minimum(1.0, ramp)
    return factor


def linear_warmup(lr: npt.ArrayLike, warmup: int, rule: str = "torch") -> FloatArray:
    """An LR path (one value per epoch or step) with a linear warm-up laid over its start.

    The warm-up multiplies the path, as torch's chainable ``LinearLR`` does in a
    ``ChainedScheduler`` with a multiplicative schedule (and HF's warm-up does for its
    ``LambdaLR`` schedules without warm-up of their own).

    Args:
        lr: the schedule's LR at each index.
        warmup (int): :math:`W`, the ramp's length in indices.
        rule (str): one of :data:`WARMUP_RULES`. Default: ``"torch"``.

    Example:
        >>> from replay.warmup import linear_warmup
        >>> [float(v) for v in linear_warmup([0.1, 0.1, 0.1, 0.05], 2)]
        [0.05, 0.1, 0.1, 0.05]
    """
    path = np.asarray(lr, dtype=np.float64).ravel()
    out: FloatArray = path * warmup_factor(path.size, warmup, rule)
    return out
