"""Infer the scheduler behind a logged LR series: propose specs, replay them, rank by fit.

Proposers read the shape of the log (where it changes, by which ratio, where it turns) and
suggest specs with exact-looking parameters; every proposal is then replayed under both
alignments (``"used"``, ``"after_step"``) and scored by the share of logged values it
reproduces within ``rtol``. A plateau log needs the metric that drove it; the search covers
torch and Keras ReduceLROnPlateau, which is how the two semantics are told apart.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from replay._plateau_first import keras_first_reductions, torch_first_reductions
from replay._registry import replayer_for
from replay.counterfactual import ALIGNMENTS
from replay.hf_schedules import HFScheduler
from replay.keras_callbacks import KerasReduceLROnPlateau
from replay.torch_composite import SequentialLR
from replay.torch_decays import ExponentialLR, LinearLR, MultiStepLR
from replay.torch_schedulers import ConstantSchedule, CosineAnnealingLR, ReduceLROnPlateau, StepLR
from replay.trajectory import epoch_after_lr, lr_trajectory, metric_driven
from replay.types import FloatArray, IntArray

__all__ = ["PROPOSERS", "Candidate", "infer_schedule"]


@dataclass(frozen=True)
class Candidate:
    """A spec that may have produced the log.

    ``score`` is the share of logged (non-missing) values the replay reproduces within
    ``rtol`` under ``alignment`` (1.0 = every value); ``first_mismatch`` the first index
    that it does not (None when score is 1.0); ``stepping`` is ``"step_epoch_after"`` when
    only the deprecated ``scheduler.step(epoch)`` after each epoch reproduces the log.
    """

    spec: object
    base_lr: float
    score: float
    alignment: str
    first_mismatch: int | None = None
    stepping: str = "standard"


def _snap(x: float) -> float:
    """The short decimal a config most likely held (0.10000000000000002 -> 0.1)."""
    return float(f"{x:.6g}") if math.isfinite(x) and x != 0 else x


def _filled(lr: FloatArray) -> FloatArray:
    """Forward-fill missing values (shape analysis only; scoring skips them)."""
    out: FloatArray = lr.copy()  # numpy's stubs type ndarray.copy() as Any
    good = np.isfinite(out)
    if not good.any():
        return out
    idx = np.where(good, np.arange(out.size), 0)
    np.maximum.accumulate(idx, out=idx)
    out = out[idx]
    out[: int(np.argmax(good))] = out[int(np.argmax(good))]
    return out


def _changes(lr: FloatArray, rtol: float) -> IntArray:
    a, b = lr[:-1], lr[1:]
    return np.flatnonzero(np.abs(b - a) > rtol * np.maximum(np.abs(a), np.abs(b)))


#: the logged (index, value) pairs without the gaps.
Points = tuple[IntArray, FloatArray]


class Proposer(Protocol):
    """``(filled lr, metrics, rtol, points, total) -> (spec, base_lr)`` suggestions; ``total``
    is the run's number of optimizer updates when known (HF ``max_steps``): the
    ``num_training_steps`` of every HF schedule proposed, never fitted."""

    def __call__(
        self, lr: FloatArray, metrics: FloatArray | None, rtol: float,
        points: Points | None = None, total: int | None = None,
    ) -> Iterator[tuple[object, float]]: ...


def _propose_constant(
    lr: FloatArray, metrics: FloatArray | None, rtol: float, points: Points | None = None,
    total: int | None = None,
) -> Iterator[tuple[object, float]]:
    yield ConstantSchedule(), float(lr[0])


def _step_ratio(lr: FloatArray, changes: IntArray, rtol: float = 1e-6) -> float | None:
    """The one factor every drop multiplies the LR by; for a log printed with few digits
    (``rtol`` above 1e-6) the ratios agree to that precision and the factor is their median
    to two digits (0.0063 / 0.0125 is a halving)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = lr[changes + 1] / lr[changes]
    if not changes.size or not np.all(ratios < 1):
        return None
    if np.ptp(ratios) <= 1e-6 * abs(ratios[0]):
        return _snap(float(ratios[0]))
    if rtol > 1e-6 and np.ptp(ratios) <= 4 * rtol * abs(ratios[0]):
        return float(f"{float(np.median(ratios)):.2g}")
    return None


def _propose_steps(
    lr: FloatArray, metrics: FloatArray | None, rtol: float, points: Points | None = None,
    total: int | None = None,
) -> Iterator[tuple[object, float]]:
    changes = _changes(lr, rtol)
    gamma = _step_ratio(lr, changes)
    if gamma is None:
        return
    bases = {float(lr[0]), _snap(float(lr[0]) / gamma)}
    for shift, base in itertools.product((1, 2), bases):
        marks = changes + shift
        gaps = np.diff(np.concatenate(([0], marks)))
        if changes.size == lr.size - 1:
            yield ExponentialLR(gamma=gamma), base
        if np.all(gaps == gaps[0]):
            yield StepLR(step_size=int(gaps[0]), gamma=gamma), base
        yield MultiStepLR(milestones=tuple(int(m) for m in marks), gamma=gamma), base
    spacing = np.diff(changes)
    if spacing.size and np.all(spacing == spacing[0]):  # regular drops after a lag
        for base in bases:
            yield StepLR(step_size=int(spacing[0]), gamma=gamma), base


def _cosine_fit(lr: FloatArray, offset: int) -> tuple[int, float, float] | None:
    """Best (T_max, eta_min, base) for ``lr[t] ~ eta + (base - eta)(1 + cos(pi (t+o)/T))/2``:
    a grid over T, linear least squares for base and eta."""
    t = np.arange(lr.size) + offset
    n = lr.size + offset
    turn = int(np.argmin(lr))
    grid = {turn + offset, turn + offset + 1} if 0 < turn < lr.size - 1 else set()
    grid |= set(np.unique(np.geomspace(max(n - 1, 1), 50 * n, 400).astype(int)).tolist())
    best = None
    for T in sorted(g for g in grid if g >= 1):
        c = (1 + np.cos(np.pi * t / T)) / 2
        design = np.stack([c, 1 - c], axis=1)
        (base, eta), *_ = np.linalg.lstsq(design, lr, rcond=None)
        if eta < 0:  # the floor is an LR: refit this T with eta_min = 0
            base, eta = float(c @ lr) / max(float(c @ c), 1e-300), 0.0
        resid = float(np.abs(design @ (base, eta) - lr).max())
        if best is None or resid < best[0]:
            best = (resid, T, float(eta), float(base))
    if best is None:
        return None
    _, T, eta, base = best
    base = _snap(base)
    eta = 0.0 if abs(eta) <= 1e-6 * abs(base) else _snap(eta)  # float32 logs leave ~1e-8
    # a negative floor is a fitting artefact (an LR never goes below zero): fit without it
    return T, max(eta, 0.0), base


def _propose_cosine(
    lr: FloatArray, metrics: FloatArray | None, rtol: float, points: Points | None = None,
    total: int | None = None,
) -> Iterator[tuple[object, float]]:
    if _changes(lr, rtol).size < max(3, lr.size // 4):
        return
    lagged = lr.size > 2 and lr[1] == lr[0]  # step(epoch) after the epoch repeats lr[0]
    for offset, series in ((0, lr), (1, lr), *(((0, lr[1:]),) if lagged else ())):
        fit = _cosine_fit(series, offset)
        if fit is None:
            continue
        T, eta, base = fit
        for b in {base, float(series[0])} if offset == 0 else {base}:
            for t_max in {T - 1, T, T + 1} - {0}:
                yield CosineAnnealingLR(T_max=t_max, eta_min=eta), b


def _propose_warmup(
    lr: FloatArray, metrics: FloatArray | None, rtol: float, points: Points | None = None,
    total: int | None = None,
) -> Iterator[tuple[object, float]]:
    peak = int(np.argmax(lr))
    if peak < 1 or peak >= lr.size - 2 or not np.all(np.diff(lr[: peak + 1]) > 0):
        return
    top = float(lr[peak])
    for w in (peak, peak + 1):
        rest = lr[peak:]
        fit = _cosine_fit(rest, 0)
        if fit is not None:
            T, eta, _ = fit
            start = _snap(float(lr[0]) / top) if lr[0] > 0 else None
            if start:
                warm = LinearLR(start_factor=start, total_iters=w)
                yield SequentialLR((warm, CosineAnnealingLR(T_max=T, eta_min=eta)), (w,)), top
            if lr[0] == 0 or start:
                yield HFScheduler("cosine", w, total or w + T), top
        slope = float(rest[0] - rest[1]) if rest.size > 1 else 0.0
        if slope > 0:
            yield HFScheduler("linear", w, total or w + round(top / slope)), top


def _hf_factor(kind: str, s: FloatArray, w: int, T: int) -> FloatArray:
    """HF's decay lambda after warm-up (``linear``, ``cosine``) at updates ``s >= w``."""
    progress = (s - w) / float(max(1, T - w))
    if kind == "linear":
        return np.maximum(0.0, (T - s) / float(max(1, T - w)))
    return np.maximum(0.0, 0.5 * (1.0 + np.cos(np.pi * progress)))


def _propose_hf_points(
    lr: FloatArray, metrics: FloatArray | None, rtol: float, points: Points | None = None,
    total: int | None = None,
) -> Iterator[tuple[object, float]]:
    """HF ``linear``/``cosine`` (with or without linear warm-up from 0) on the logged points
    ``(t, v)``: per-step logs are sparse (one value every ``logging_steps``), so the shape is
    read from the points themselves, never from a filled series.

    Warm-up points lie on ``base * t / W`` (a line through the origin), decay points on
    ``base * (T - t) / (T - W)`` or the half cosine; integer ``W``, ``T`` around the fitted
    ones (one off covers the ``after_step`` alignment) with the base each implies.
    """
    shape = _warmup_then_decay(points)
    if shape is None:
        return
    t, v, peak, warm = shape
    decay = v[peak:]
    if np.mean(decay[1:] == decay[:-1]) > 0.5:  # mostly flat between its change points: a
        return  # stepwise log, which no HF decay (a new LR every update) can reproduce
    guesses = _hf_guesses(t, v, peak, warm)
    if total:  # the run's own length first; a fitted one may still explain a shifted log
        run_length = {(kind, w, float(total)) for kind, w, _ in guesses}
        yield from _hf_candidates(run_length, t[peak + 1 :], v[peak + 1 :], warm, fixed=True)
    yield from _hf_candidates(guesses, t[peak + 1 :], v[peak + 1 :], warm)


def _warmup_then_decay(
    points: Points | None,
) -> tuple[FloatArray, FloatArray, int, bool] | None:
    """``(t, v, peak, warm)`` when the points rise (or start at their top), then never rise."""
    if points is None:
        return None
    t, v = (np.asarray(a, dtype=np.float64) for a in points)
    if t.size < 3 or not np.all(v >= 0):
        return None
    peak = int(np.argmax(v))
    if float(v[peak]) <= 0:
        return None
    warm = peak >= 1 and bool(np.all(np.diff(v[: peak + 1]) > 0))
    if t.size - peak - 1 < 2 or not np.all(np.diff(v[peak + 1 :]) <= 0):
        return None
    return t, v, peak, warm


def _hf_guesses(t: FloatArray, v: FloatArray, peak: int,
                warm: bool) -> set[tuple[str, float, float]]:
    """Fitted ``(kind, W, T)`` of a linear and a cosine decay after the warm-up line."""
    top = float(v[peak])
    td, vd = t[peak + 1 :], v[peak + 1 :]
    # warm-up ``v = slope * (t + lag)``: lag 0 (used) or 1 (after_step); one point cannot
    # tell the lag, so both are tried
    fits = [(0.0, 0.0)]
    if warm and peak >= 2:
        slope, c = np.polyfit(t[:peak], v[:peak], 1)
        if slope > 0:
            fits = [(float(slope), min(max(float(c / slope), -0.5), 1.5))]
    elif warm:
        fits = [(float(v[0] / (t[0] + lag)), lag) for lag in (0.0, 1.0) if t[0] + lag > 0]
    guesses: set[tuple[str, float, float]] = set()
    c1, c0 = np.polyfit(td, vd, 1)
    f = np.clip(vd / top, 0.0, 1.0)
    keep = f < 0.99  # near the top arccos amplifies the error of ``top`` as the base
    for slope, lag in fits:
        if c1 < 0:  # linear decay to zero at T; the warm-up line meets it at W
            w_lin = (c0 - slope * lag) / (slope - c1) + lag if slope > 0 else 0.0
            guesses.add(("linear", w_lin, -c0 / c1 + lag))
        w_cos = top / slope if slope > 0 else 0.0  # the cosine starts flat: top ~ base
        if keep.sum() >= 2:
            p = np.arccos(2 * f[keep] - 1) / np.pi  # progress (s - W) / (T - W)
            x = td[keep] + lag - w_cos
            span = float(x @ x) / float(x @ p) if float(x @ p) > 0 else 0.0
            if span > 0:
                guesses.add(("cosine", w_cos, w_cos + span))
    return guesses


_PRESCREEN_RTOL = 1e-3
_PRESCREEN_SHARE = 0.25


def _hf_candidates(guesses: set[tuple[str, float, float]], td: FloatArray, vd: FloatArray,
                   warm: bool, fixed: bool = False) -> Iterator[tuple[object, float]]:
    """Integer ``W``, ``T`` around each guess, with the base the decay points imply."""
    tried: set[tuple[str, int, int, int]] = set()
    for kind, w_fit, t_fit in sorted(guesses):
        if not (math.isfinite(w_fit) and math.isfinite(t_fit)):
            continue
        # without logged warm-up points W is not identifiable: no warm-up is the simple reading
        widths = (-1, 0, 1) if warm else (0,)
        lengths = (0,) if fixed else (-2, -1, 0, 1, 2)
        for dw, dt, shift in itertools.product(widths, lengths, (0, 1)):
            w = max(round(w_fit) + dw, 0) if warm else 0
            T = round(t_fit) + dt
            if w >= T or (w == 0 and warm) or (kind, w, T, shift) in tried:
                continue
            tried.add((kind, w, T, shift))
            s = td + shift  # shift 1: the log holds the LR after the step (after_step)
            after = s >= w
            fac = _hf_factor(kind, s[after], w, T)
            good = fac > 0.05
            if not good.any():
                continue
            base = _snap(float(np.median(vd[after][good] / fac[good])))
            # pruned before any replay: a decay that misses most logged decay points (a
            # stepwise log has long flat stretches) cannot rank above the spec that fits it
            near = np.abs(base * fac - vd[after]) <= _PRESCREEN_RTOL * np.abs(vd[after])
            if base > 0 and near.mean() >= _PRESCREEN_SHARE:
                yield HFScheduler(kind, w, T), base
                if w == 0 and kind == "cosine":
                    yield CosineAnnealingLR(T_max=T), base


_TORCH_THRESHOLDS = [(1e-4, "rel"), (0.0, "rel"), (1e-3, "rel"), (1e-2, "rel"), (1e-4, "abs"),
                     (1e-3, "abs"), (1e-2, "abs"), (0.0, "abs")]  # fmt: skip
_KERAS_DELTAS = [1e-4, 0.0, 1e-3, 1e-2]


def _propose_plateau(
    lr: FloatArray, metrics: FloatArray | None, rtol: float, points: Points | None = None,
    total: int | None = None,
) -> Iterator[tuple[object, float]]:
    """Torch and Keras ``ReduceLROnPlateau`` rules whose first reduction falls where the
    logged LR first changes: the other rules are dropped before any replay (a rule that
    never lowers the LR is a constant LR, proposed as such)."""
    if metrics is None:
        return
    changes = _changes(lr, rtol)
    if not changes.size:
        return
    factor = _step_ratio(lr, changes, rtol)
    if factor is None:
        return
    base = float(lr[0])
    floors = {0.0, float(lr[-1])}
    # the first drop needs patience + 1 bad steps first (one more for after_step logs)
    patiences = range(min(20, lr.size, int(changes[0]) + 2))
    window = _first_drop_window(int(changes[0]), points)
    limit = min(window[1] + 2, metrics.size)
    for mode, (thr, tmode) in itertools.product(("min", "max"), _TORCH_THRESHOLDS):
        first = torch_first_reductions(metrics, limit, mode, thr, tmode, patiences)
        for patience, cooldown, min_lr in itertools.product(
                _at(first, window), range(4), floors):
            yield ReduceLROnPlateau(mode, factor, patience, thr, tmode, cooldown, min_lr), base
    keras_patiences = range(1, patiences.stop)
    for mode, delta in itertools.product(("min", "max"), _KERAS_DELTAS):
        first = keras_first_reductions(metrics, limit, mode, delta, keras_patiences)
        for patience, cooldown, min_lr in itertools.product(
                _at(first, window), range(4), floors):
            yield KerasReduceLROnPlateau(factor, patience, mode, delta, cooldown, min_lr), base


def _first_drop_window(change: int, points: Points | None) -> tuple[int, int]:
    """The epochs after which a scheduler may have made the first logged drop: the LR changes
    between positions ``change`` and ``change + 1`` of the filled series; with gaps in the
    log, anywhere since the last logged value before it; one epoch later when the log holds
    the LR after the step (``after_step``)."""
    start = change
    if points is not None and points[0].size:
        at = points[0]
        before = at[at <= change]
        start = int(before[-1]) if before.size else 0
    return start - 1, change + 1


def _at(first: dict[int, int], window: tuple[int, int]) -> list[int]:
    """The patiences whose first reduction falls in ``window`` (both ends included)."""
    return [p for p, k in first.items() if window[0] <= k <= window[1]]


#: proposer name -> ``(filled lr, metrics, rtol, points=(t, v)) -> (spec, base_lr)``
#: suggestions; ``points`` are the logged (index, value) pairs without the gaps.
PROPOSERS: dict[str, Proposer] = {
    "constant": _propose_constant,
    "steps": _propose_steps,
    "cosine": _propose_cosine,
    "warmup": _propose_warmup,
    "plateau": _propose_plateau,
    "hf_points": _propose_hf_points,
}

#: Simpler explanations first when scores tie (MultiStepLR also pays per milestone, so a
#: plateau rule beats a list of milestones that merely memorises the drops).
_SIMPLICITY = {ConstantSchedule: 0, StepLR: 1, ExponentialLR: 1, CosineAnnealingLR: 2,
               MultiStepLR: 2, ReduceLROnPlateau: 3.5, KerasReduceLROnPlateau: 3.5,
               HFScheduler: 4, SequentialLR: 5}  # fmt: skip


_FLOORS = ("eta_min", "min_lr", "lr_end", "min_lr_rate", "min_lr_ratio", "alpha")


def _negative_floor(spec: object) -> bool:
    """True when the spec (or a scheduler nested in it) has a negative LR floor: fits of
    noisy or truncated logs can land there, but no config holds one."""
    for name in _FLOORS:
        value = getattr(spec, name, None)
        if isinstance(value, (int, float)) and value < 0:
            return True
    return any(_negative_floor(child) for child in getattr(spec, "schedulers", ()) or ())


def _rank(c: Candidate, float32_log: bool) -> tuple[float, float, bool, int, bool]:
    cost = _SIMPLICITY.get(type(c.spec), 9) + len(getattr(c.spec, "milestones", ()))
    keras = getattr(c.spec, "framework", "") == "keras"
    cost += 2 * (c.stepping != "standard")  # a known misuse costs like two parameters
    digits = len(f"{c.base_lr:.6e}".split("e")[0].rstrip("0").replace(".", "").lstrip("-"))
    # a config holds a round base LR (2e-05, not 1.99927e-05, which a shifted fit can match)
    return (-c.score, cost, keras != float32_log, digits, c.alignment != "used")


def _score_one(
    spec: object,
    base: float,
    logged: FloatArray,
    metrics: FloatArray | None,
    rtol: float,
    stepping: str,
) -> Candidate | None:
    best = None
    n = logged.size
    total = int(np.isfinite(logged).sum())
    for shift, alignment in enumerate(ALIGNMENTS):
        steps = n + shift
        if metric_driven(spec):
            if metrics is None:
                raise ValueError(f"{type(spec).__name__} is replayed from metrics, got None")
            steps = min(steps, metrics.size + 1)
        try:
            if stepping == "step_epoch_after":
                replayed = epoch_after_lr(replayer_for(type(spec)), spec, base, steps, metrics)
            else:
                replayed = lr_trajectory(spec, base, steps, metrics).lr
        except ValueError:
            continue
        replayed = replayed[shift:]
        m = min(replayed.size, n)
        diff = np.abs(replayed[:m] - logged[:m])
        scale = np.maximum(np.abs(replayed[:m]), np.abs(logged[:m]))
        present = np.isfinite(logged[:m])
        ok = (diff <= rtol * scale) & present
        if not present.any():
            continue
        bad = np.flatnonzero(present & ~ok)
        first = int(bad[0]) if bad.size else None
        cand = Candidate(spec, base, float(ok.sum()) / total, alignment, first, stepping)
        if best is None or cand.score > best.score:
            best = cand
    return best


def _score(
    spec: object, base: float, logged: FloatArray, metrics: FloatArray | None, rtol: float
) -> Candidate | None:
    """The better of the canonical stepping and, when that is not exact, the deprecated
    ``step(epoch)`` after each epoch (a misuse the log may reveal)."""
    best = _score_one(spec, base, logged, metrics, rtol, "standard")
    # the HF Trainer steps its scheduler itself: the misuse is a hand-written loop's
    if (best is None or best.score < 1.0) and not metric_driven(spec) \
            and not isinstance(spec, HFScheduler):
        misuse = _score_one(spec, base, logged, metrics, rtol, "step_epoch_after")
        if misuse is not None and (best is None or misuse.score > best.score):
            best = misuse
    return best


def infer_schedule(
    logged_lr: npt.ArrayLike,
    metrics: npt.ArrayLike | None = None,
    *,
    rtol: float = 1e-6,
    top: int = 5,
    total_steps: int | None = None,
) -> list[Candidate]:
    """Rank scheduler specs by how well they reproduce a logged LR series.

    .. math::
        \\text{score} = \\frac{1}{n} \\left|\\{ i : |\\eta_i - \\ell_i| \\le \\text{rtol}
        \\cdot \\max(|\\eta_i|, |\\ell_i|) \\}\\right|

    where :math:`\\ell` is the log (:math:`n` non-missing values; NaN gaps are skipped) and
    :math:`\\eta` a candidate's replay under the better of the two alignments. Ties go to the
    simpler spec, then to Keras when every logged value is a float32 (Keras keeps its LR in
    float32) and to torch otherwise, then to the ``"used"`` alignment.

    Timing: ``logged_lr[i]`` is one value per scheduler step (epoch or optimizer step);
    ``metrics[i]`` the metric passed to a plateau scheduler after step ``i``.

    Args:
        logged_lr: the logged LR series.
        metrics: the metric series that drove it, if any (enables plateau candidates).
            Default: None.
        rtol (float): relative tolerance for a value to count as reproduced. Default: 1e-6.
        top (int): how many candidates to return. Default: 5.
        total_steps (int | None): the run's number of optimizer updates when known (HF
            ``max_steps``): every HF schedule proposed ends there instead of at a length
            fitted to the logged points. Default: None.

    Example:
        >>> from replay import StepLR, infer_schedule, lr_trajectory
        >>> logged = lr_trajectory(StepLR(step_size=3, gamma=0.5), 0.1, 10).lr
        >>> best = infer_schedule(logged)[0]
        >>> best.spec, best.base_lr, best.score, best.alignment
        (StepLR(step_size=3, gamma=0.5), 0.1, 1.0, 'used')
    """
    logged = np.asarray(logged_lr, dtype=np.float64).ravel()
    if logged.size == 0 or not np.isfinite(logged).any():
        return []
    m = None if metrics is None else np.asarray(metrics, dtype=np.float64).ravel()
    shape = _filled(logged)
    at = np.flatnonzero(np.isfinite(logged))
    points = (at, logged[at])
    found: dict[tuple[str, float], Candidate] = {}
    for propose in PROPOSERS.values():
        for spec, base in propose(shape, m, rtol, points, total_steps):
            key = (repr(spec), base)
            if key in found or base < 0 or _negative_floor(spec):
                continue
            cand = _score(spec, base, logged, m, rtol)
            if cand is not None:
                found[key] = cand
    finite = logged[np.isfinite(logged)]
    float32_log = bool(np.all(finite.astype(np.float32).astype(np.float64) == finite))
    return sorted(found.values(), key=lambda c: _rank(c, float32_log))[:top]
