"""NaN/inf divergence: the first non-finite logged loss."""

from __future__ import annotations

import numpy as np

from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve


def find_divergence(curve: Curve) -> Finding | None:
    """A critical finding at the first NaN or inf in ``curve``, or None."""
    bad = ~np.isfinite(curve.y)
    if not bad.any():
        return None
    first = int(np.argmax(bad))
    kinds = sorted({"NaN" if np.isnan(v) else "inf" for v in curve.y[bad]})
    stays = bool(bad[first:].all())
    return Finding(
        kind="divergence",
        severity="critical",
        title=f"{curve.metric} became {'/'.join(kinds)} at {curve.label(first)}",
        metric=curve.metric,
        start=float(curve.x[first]),
        end=None if stays else float(curve.x[first + int(np.argmin(bad[first:]))]),
        evidence={
            "first_nonfinite": float(curve.x[first]),
            "nonfinite_points": int(bad.sum()),
            "points": len(curve),
            "stays_nonfinite": stays,
            "last_finite_value": _last_finite(curve.y[:first]),
        },
        criterion="first logged value that is NaN or ±inf",
    )


def _last_finite(y: np.ndarray) -> float | None:
    finite = y[np.isfinite(y)]
    return float(finite[-1]) if len(finite) else None
