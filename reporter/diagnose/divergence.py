"""Non-finite losses: a run that diverged to NaN/inf, or a few non-finite steps it recovered from.

A stretch of at most ``BLIP_POINTS`` consecutive non-finite points followed by finite values
is a *non-finite step* (kind ``divergence``, severity warning: one bad batch, an AMP overflow
the scaler skipped, a logging glitch); a longer stretch, or one that lasts to the end of the
log, is *divergence* proper (critical).
"""

from __future__ import annotations

import numpy as np

from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve

BLIP_POINTS = 3
CRITERION = "first logged value that is NaN or ±inf, in a stretch of non-finite values that "\
    f"lasts to the end of the log or more than {BLIP_POINTS} points"
BLIP_CRITERION = (f"a NaN or ±inf logged value, at most {BLIP_POINTS} in a row, with finite "
                  "values after it: the run went on")


def find_divergence(curve: Curve) -> Finding | None:
    """A finding at the first NaN or inf in ``curve``, or None.

    Critical when some non-finite stretch is sustained (the run diverged); otherwise a warning
    for the isolated non-finite points the run went on after (``evidence["sustained"]`` says
    which; both are of kind ``divergence``, the non-finite family).

    The evidence also says whether the log *ends* non-finite (``ends_nonfinite``) and, if so,
    where that final non-finite stretch begins and the last finite value before it, with its
    position: the numbers a reader needs to pick the checkpoint to restart from.
    """
    bad = ~np.isfinite(curve.y)
    if not bad.any():
        return None
    first = int(np.argmax(bad))
    if not _sustained(bad):
        return _blips(curve, bad)
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
            "sustained": True,
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
        criterion=CRITERION,
    )


def _runs(bad: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each stretch of consecutive True values."""
    edges = np.diff(np.concatenate([[0], bad.astype(int), [0]]))
    return list(zip(np.nonzero(edges == 1)[0].tolist(), np.nonzero(edges == -1)[0].tolist(),
                    strict=True))


def _sustained(bad: np.ndarray) -> bool:
    return bool(bad[-1]) or any(stop - start > BLIP_POINTS for start, stop in _runs(bad))


def _blips(curve: Curve, bad: np.ndarray) -> Finding:
    """The warning for non-finite points the run went on after."""
    runs = _runs(bad)
    first = runs[0][0]
    n = int(bad.sum())
    what = "one non-finite step" if n == 1 else f"{n} non-finite steps"
    kinds = sorted({"NaN" if np.isnan(v) else "inf" for v in curve.y[bad]})
    where = ", ".join(curve.label(a) for a, _b in runs[:5]) + (" …" if len(runs) > 5 else "")
    last_i = _last_finite_index(curve.y[:first])
    return Finding(
        kind="divergence",
        severity="warning",
        title=f"{curve.metric}: {what} ({'/'.join(kinds)} at {where}), finite again after",
        metric=curve.metric,
        start=float(curve.x[first]),
        end=float(curve.x[runs[-1][1]]),
        evidence={
            "first_nonfinite": float(curve.x[first]),
            "sustained": False,
            "nonfinite_points": n,
            "nonfinite_at": [float(curve.x[a]) for a, _b in runs],
            "points": len(curve),
            "last_finite_value": _value(curve, last_i),
            "last_finite_at": _at(curve, last_i),
            "axis": curve.axis,
        },
        criterion=BLIP_CRITERION,
        caveats=("A loss that is NaN or infinite at one step and finite after it usually comes "
                 "from one bad batch or an overflow that mixed precision skipped; if it "
                 "repeats, check the data at those steps and the loss scaler.",),
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
