"""NaN/inf divergence: the first non-finite logged loss."""

from __future__ import annotations

import numpy as np

from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve


def find_divergence(curve: Curve) -> Finding | None:
    """A critical finding at the first NaN or inf in ``curve``, or None.

    The evidence also says whether the log *ends* non-finite (``ends_nonfinite``) and, if so,
    where that final non-finite stretch begins and the last finite value before it, with its
    position: the numbers a reader needs to pick the checkpoint to restart from.
    """
    bad = ~np.isfinite(curve.y)
    if not bad.any():
        return None
    first = int(np.argmax(bad))
    kinds = sorted({"NaN" if np.isnan(v) else "inf" for v in curve.y[bad]})
    stays = bool(bad[first:].all())
    ends = bool(bad[-1])
    final = _final_bad_start(bad) if ends else None
    last_i = _last_finite_index(curve.y[:first])
    end_i = _last_finite_index(curve.y[:final]) if final is not None else None
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
            "last_finite_value": _value(curve, last_i),
            "last_finite_at": _at(curve, last_i),
            "ends_nonfinite": ends,
            "final_nonfinite_from": float(curve.x[final]) if final is not None else None,
            "last_finite_before_end_value": _value(curve, end_i),
            "last_finite_before_end_at": _at(curve, end_i),
            "axis": curve.axis,
        },
        criterion="first logged value that is NaN or ±inf",
    )


def _final_bad_start(bad: np.ndarray) -> int:
    """Position where the trailing run of non-finite values begins."""
    good = np.nonzero(~bad)[0]
    return int(good[-1]) + 1 if len(good) else 0


def _last_finite_index(y: np.ndarray) -> int | None:
    idx = np.nonzero(np.isfinite(y))[0]
    return int(idx[-1]) if len(idx) else None


def _value(curve: Curve, i: int | None) -> float | None:
    return float(curve.y[i]) if i is not None else None


def _at(curve: Curve, i: int | None) -> float | None:
    return float(curve.x[i]) if i is not None else None
