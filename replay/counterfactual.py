"""Compare replays with a logged LR series: counterfactual horizons and fidelity checks."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from replay.early_stopping import EarlyStopping, early_stop
from replay.trajectory import lr_trajectory, metric_driven
from replay.types import BoolArray, Event, FloatArray, Trajectory

__all__ = ["ALIGNMENTS", "Counterfactual", "Fidelity", "counterfactual", "exact_until", "fidelity"]

#: How a logged LR series lines up with epochs: ``"used"`` = ``logged[i]`` is the LR used
#: while epoch ``i`` trained; ``"after_step"`` = the LR after epoch ``i``'s scheduler step,
#: i.e. the LR of epoch ``i + 1`` (HF <= 4.50, ``get_last_lr()`` read after ``step()``).
ALIGNMENTS = ("used", "after_step")


def _rel_error(replayed: FloatArray, logged: FloatArray) -> FloatArray:
    """``|r - l| / max(|r|, |l|)``, 0 where both are 0, NaN where ``logged`` is missing."""
    diff = np.abs(replayed - logged)
    scale = np.maximum(np.abs(replayed), np.abs(logged))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0, 0.0, diff / scale)
    rel[np.isnan(logged)] = np.nan
    return rel


def _first_over(rel: FloatArray, rtol: float) -> int | None:
    bad = np.flatnonzero(rel > rtol)  # NaN (missing) compares False
    return int(bad[0]) if bad.size else None


@dataclass(frozen=True)
class Counterfactual:
    """A replay of another spec on the recorded metrics, and how far it is exact.

    ``horizon`` is the first index where the counterfactual LR differs from the observed LR
    (None when they agree over the whole series). ``lr[:horizon + 1]`` is an exact replay:
    the metrics before ``horizon`` were produced under the same LRs. From ``horizon + 1`` on
    it is a conditional replay: it assumes the recorded metrics, which described a run with
    another LR from ``horizon`` on.
    """

    trajectory: Trajectory
    horizon: int | None

    @property
    def exact(self) -> BoolArray:
        """Boolean mask: True where ``trajectory.lr[i]`` is an exact replay."""
        mask = np.ones(self.trajectory.lr.size, dtype=bool)
        if self.horizon is not None:
            mask[self.horizon + 1 :] = False
        return mask

    @property
    def stop(self) -> Event | None:
        """The replayed early stop (an Event), or None."""
        return self.trajectory.first("stop")

    def label(self, i: int) -> str:
        """The honesty label of index ``i``: ``"exact replay"`` or ``"conditional replay"``."""
        return "exact replay" if self.exact[i] else "conditional replay"


def counterfactual(
    spec: object,
    base_lr: float,
    metrics: npt.ArrayLike | None,
    observed_lr: npt.ArrayLike,
    *,
    rtol: float = 1e-6,
    stepping: str = "standard",
    early_stopping: EarlyStopping | None = None,
) -> Counterfactual:
    """Replay ``spec`` on the recorded ``metrics`` over as many epochs as ``observed_lr``.

    .. math::
        h = \\min \\{ i : |\\eta^{cf}_i - \\eta^{obs}_i| > \\text{rtol} \\cdot
        \\max(|\\eta^{cf}_i|, |\\eta^{obs}_i|) \\}

    where :math:`\\eta^{cf}` is the replayed and :math:`\\eta^{obs}` the observed LR (NaN =
    not logged, skipped).

    Timing: ``observed_lr[i]`` is the LR used while epoch ``i`` trained (``"used"``
    alignment; shift a log first if it follows ``"after_step"``, see :func:`fidelity`).

    Args:
        spec: the counterfactual scheduler spec.
        base_lr (float): its base LR.
        metrics: the recorded per-epoch metric (needed by metric-driven specs).
        observed_lr: the LR the run actually used, one per epoch; NaN where not logged.
        rtol (float): relative tolerance of "same LR" (logs often hold float32). Default: 1e-6.
        stepping (str): see :func:`replay.lr_trajectory`. Default: ``"standard"``.
        early_stopping (EarlyStopping | None): also replay this callback on the metrics; its
            ``"stop"`` event joins the trajectory's events (exact when its index is at or
            before the horizon). Default: None.

    Example:
        >>> from replay import ReduceLROnPlateau, counterfactual
        >>> loss = [1.0, 0.8, 0.8, 0.8, 0.8, 0.8]
        >>> cf = counterfactual(ReduceLROnPlateau(patience=1), 0.1, loss, [0.1] * 6)
        >>> cf.horizon, cf.label(4), cf.label(5)
        (4, 'exact replay', 'conditional replay')
    """
    observed = np.asarray(observed_lr, dtype=np.float64).ravel()
    traj = lr_trajectory(spec, base_lr, observed.size, metrics, stepping=stepping)
    if early_stopping is not None and metrics is not None:
        stop = early_stop(early_stopping, np.asarray(metrics, dtype=np.float64)[: observed.size])
        if stop is not None:
            events = tuple(sorted((*traj.events, stop), key=lambda e: e.index))
            traj = Trajectory(lr=traj.lr, events=events)
    horizon = _first_over(_rel_error(traj.lr, observed), rtol)
    return Counterfactual(trajectory=traj, horizon=horizon)


def exact_until(
    spec: object,
    base_lr: float,
    metrics: npt.ArrayLike | None,
    observed_lr: npt.ArrayLike,
    *,
    rtol: float = 1e-6,
) -> int:
    """Number of leading epochs whose counterfactual LR is an exact replay (``horizon + 1``,
    or the whole length when the LRs never differ).

    Example:
        >>> from replay import StepLR, exact_until
        >>> exact_until(StepLR(step_size=2), 0.1, None, [0.1, 0.1, 0.1, 0.1])
        3
    """
    cf = counterfactual(spec, base_lr, metrics, observed_lr, rtol=rtol)
    return cf.trajectory.lr.size if cf.horizon is None else cf.horizon + 1


@dataclass(frozen=True)
class Fidelity:
    """How well a replayed spec reproduces a logged LR series.

    ``alignment`` is the matching alignment (or the closer one); ``first_mismatch`` the first
    compared index beyond ``rtol`` (None if none); ``max_rel_error`` over the compared
    (non-missing) positions; ``compared`` how many positions were compared.
    """

    alignment: str
    matches: bool
    first_mismatch: int | None
    max_rel_error: float
    explanation: str
    compared: int = 0
    stepping: str = "standard"


def _compare(replayed: FloatArray, logged: FloatArray, rtol: float, alignment: str) -> Fidelity:
    m = min(replayed.size, logged.size)
    rel = _rel_error(replayed[:m], logged[:m])
    present = ~np.isnan(rel)
    compared = int(present.sum())
    max_err = float(rel[present].max()) if compared else float("nan")
    first = _first_over(rel, rtol)
    return Fidelity(alignment, first is None and compared > 0, first, max_err, "", compared)


_HOW = {
    "used": "the LR used in epoch i",
    "after_step": (
        "the LR after epoch i's step: a loop that logs get_last_lr() after scheduler.step() "
        "(HF <= 4.50), or one that calls scheduler.step() at the start of each epoch and so "
        "trains with these values one epoch early"
    ),
}


def _explain(best: Fidelity, other: Fidelity | None, rtol: float) -> str:
    if best.compared == 0:
        return "no logged LR value to compare with"
    if best.matches and other is not None and other.matches:
        return (
            f"replay matches the log under both alignments over {best.compared} values "
            "(the LR does not change where it would tell them apart)"
        )
    if best.matches and best.stepping == "step_epoch_after":
        return (
            f"replay matches the log over {best.compared} values only if scheduler.step(epoch) "
            "is called after each epoch (deprecated closed form: the LR lags one epoch), "
            f"logged as {_HOW[best.alignment].split(':')[0]}"
        )
    if best.matches:
        return (
            f"replay matches the log ({_HOW[best.alignment]}) over {best.compared} values, "
            f"max rel. error {best.max_rel_error:.2g}"
        )
    return (
        f"replay does not match the log: closest alignment {best.alignment!r} first differs "
        f"at index {best.first_mismatch} beyond rtol={rtol:g} "
        f"(max rel. error {best.max_rel_error:.2g})"
    )


def _attempts(
    spec: object,
    base_lr: float,
    metrics: npt.ArrayLike | None,
    logged: FloatArray,
    rtol: float,
    stepping: str,
) -> list[Fidelity]:
    n = logged.size
    out: list[Fidelity] = []
    for alignment, shift in zip(ALIGNMENTS, (0, 1), strict=True):
        steps = n + shift
        if metric_driven(spec) and metrics is not None:
            steps = min(steps, np.asarray(metrics).size + 1)
        try:
            traj = lr_trajectory(spec, base_lr, steps, metrics, stepping=stepping)
        except ValueError:
            if stepping == "standard":
                raise
            continue
        found = _compare(traj.lr[shift:], logged, rtol, alignment)
        out.append(replace(found, stepping=stepping))
    return out


def fidelity(
    spec: object,
    base_lr: float,
    metrics: npt.ArrayLike | None,
    logged_lr: npt.ArrayLike,
    *,
    rtol: float = 1e-6,
) -> Fidelity:
    """Replay ``spec`` and compare it with a logged LR series under both alignments.

    .. math::
        \\text{used}: \\ \\ell_i \\approx \\eta_i, \\qquad
        \\text{after\\_step}: \\ \\ell_i \\approx \\eta_{i+1}

    where :math:`\\ell` is the logged series (NaN = gap, ignored) and :math:`\\eta` the replay;
    "≈" means relative error ≤ ``rtol``. When neither fits with the canonical stepping, the
    deprecated ``scheduler.step(epoch)`` after each epoch is tried too and named if it fits
    (``stepping="step_epoch_after"``).

    Timing: ``"used"`` fits loops that log the LR during the epoch (Keras history,
    Lightning ``LearningRateMonitor``, HF >= 4.51); ``"after_step"`` fits ``get_last_lr()``
    read after ``scheduler.step()`` (HF <= 4.50) and, with the same numbers, a loop that steps
    the scheduler at the start of each epoch. The "after_step" comparison needs one more
    metric than epochs for metric-driven specs; positions without it are not compared.

    Args:
        spec: the scheduler spec to check.
        base_lr (float): its base LR.
        metrics: the recorded per-epoch metric (metric-driven specs only; else None).
        logged_lr: the logged LR, one per epoch; NaN where not logged.
        rtol (float): relative tolerance. Default: 1e-6.

    Example:
        >>> from replay import StepLR, fidelity
        >>> f = fidelity(StepLR(step_size=2), 0.1, None, [0.1, 0.01, 0.01, 0.001])
        >>> f.alignment, f.matches, f.stepping
        ('after_step', True, 'standard')
        >>> fidelity(StepLR(step_size=2), 0.1, None, [0.1, 0.1, 0.1, 0.01]).stepping
        'step_epoch_after'
    """
    logged = np.asarray(logged_lr, dtype=np.float64).ravel()
    n = logged.size

    def key(f: Fidelity) -> tuple[bool, int, float]:
        return (f.matches, _reach(f, n), -np.nan_to_num(f.max_rel_error, nan=np.inf))

    results = _attempts(spec, base_lr, metrics, logged, rtol, "standard")
    if not any(f.matches for f in results) and not metric_driven(spec):
        misuse = _attempts(spec, base_lr, metrics, logged, rtol, "step_epoch_after")
        results += [f for f in misuse if f.matches]
    ranked = sorted(results, key=key, reverse=True)
    best = ranked[0]
    other = next(
        (f for f in ranked if f.alignment != best.alignment and f.stepping == best.stepping), None
    )
    return replace(best, explanation=_explain(best, other, rtol))


def _reach(f: Fidelity, n: int) -> int:
    return n if f.first_mismatch is None else f.first_mismatch
