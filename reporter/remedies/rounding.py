"""Round a derived parameter to a value a person would write."""

from __future__ import annotations

import math


def round_sig(x: float, digits: int = 2) -> float:
    """``x`` to ``digits`` significant digits (0 and non-finite values unchanged)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, -math.floor(math.log10(abs(x))) + digits - 1)
