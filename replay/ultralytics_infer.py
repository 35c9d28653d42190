"""Identify the Ultralytics schedule behind the ``lr/pg*`` columns of a results.csv.

The epochs after the warm-up lie on ``lr0 * lf(e)`` (stepped at the start of the epoch) or
``lr0 * lf(e - 1)`` (stepped at its end): a line (linear) or a half cosine (``cos_lr``) that
gives ``lr0`` and ``lrf`` for a number of epochs (the run's ``epochs`` when ``args.yaml``
gives it, else the logged count, else the one the slope implies with ``lrf`` 0.01). The
warm-up epochs then give the batches per epoch and the warm-up iterations: the weights
group logs ``lr0 * lf(e) * ((e + 1) * nb - 1) / nw`` at the end of epoch ``e`` while the
warm-up lasts, a line in ``e`` of slope ``nb / nw`` and intercept ``(nb - 1) / nw``. The bias
group's first value gives ``warmup_bias_lr``. Every proposal is then replayed
(:class:`~replay.ultralytics.UltralyticsSchedule`) and scored on every logged value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from replay.inference import Candidate
from replay.trajectory import lr_trajectory
from replay.types import FloatArray
from replay.ultralytics import ULTRALYTICS_KINDS, UltralyticsSchedule

__all__ = ["Known", "infer_ultralytics", "printed_digits_rtol"]

#: the warm-up iterations ``max(round(warmup_epochs * nb), 100)`` gives short runs
FLOOR = 100


@dataclass(frozen=True)
class Known:
    """What the run's ``args.yaml`` fixes (None: to be read from the log). ``lr0`` is None
    when ``optimizer: auto`` chose its own LR."""

    kind: str | None = None
    epochs: int | None = None
    lr0: float | None = None
    lrf: float | None = None
    warmup_bias_lr: float | None = None


def printed_digits_rtol(values: npt.ArrayLike) -> float:
    """Half a unit in the last significant digit a results.csv writer keeps: ``%.5g`` (up
    to 8.3), ``%.6g`` (8.4) give a relative tolerance of 5e-5 and 5e-6; values with more
    digits (TensorBoard's float32) are compared to 1e-6. The digits are the most any value
    shows, at least 5 (``%g`` drops trailing zeros: 0.01 shows one digit of its five)."""
    arr = np.asarray(values, dtype=np.float64)
    finite = arr[np.isfinite(arr) & (arr != 0)]
    digits = max((_digits(v) for v in finite.tolist()), default=7)
    return 0.5 * 10.0 ** (1 - max(digits, 5)) if digits <= 6 else 1e-6


def _digits(v: float) -> int:
    for digits in range(1, 18):
        if float(f"{v:.{digits - 1}e}") == v:
            return digits
    return 17


def _snaps(x: float) -> list[float]:
    """``x`` to 1..6 significant digits, shortest first (a config holds 0.01, not 0.0099998)."""
    if not math.isfinite(x) or x == 0:
        return [x]
    return list(dict.fromkeys(float(f"{x:.{d - 1}e}") for d in range(1, 7)))


def _lf(kind: str, x: FloatArray, epochs: int, lrf: float) -> FloatArray:
    """``lf`` over an array (for fitting only; scores use the exact replay)."""
    if kind == "linear":
        return np.maximum(1 - x / epochs, 0) * (1.0 - lrf) + lrf
    return np.maximum((1 - np.cos(x * math.pi / epochs)) / 2, 0) * (lrf - 1) + 1


def _close(a: FloatArray, b: FloatArray, rtol: float) -> npt.NDArray[np.bool_]:
    return np.abs(a - b) <= rtol * np.maximum(np.abs(a), np.abs(b))


@dataclass(frozen=True)
class _Log:
    """The logged weights group by epoch index (NaN: not logged) and its tail: the epochs
    past the peak and the one after it (the warm-up can end in either)."""

    values: FloatArray
    tail: npt.NDArray[np.int64]
    rtol: float

    @property
    def n(self) -> int:
        return int(self.values.size)


def _tail_fits(log: _Log, kind: str, s: int, known: Known) -> Iterator[tuple[int, float, float]]:
    """``(epochs, lr0, lrf)`` whose ``lr0 * lf(e - s)`` passes through the tail."""
    e, v = log.tail.astype(np.float64), log.values[log.tail]
    if kind == "linear":
        slope, intercept = np.polyfit(e, v, 1)
        if slope >= 0:
            return
        lr0 = float(intercept + slope * s)
        lengths = {known.epochs} if known.epochs else {log.n, round(lr0 * 0.99 / -slope)}
        for epochs in lengths - {0}:
            lrf = known.lrf if known.lrf is not None else 1 + slope * epochs / lr0
            yield epochs, lr0, lrf
        return
    if e.size < 3:
        return
    grid = [known.epochs] if known.epochs else range(max(int(e[-1]) - s + 1, 2), 3 * log.n + 1)
    fits = []
    for epochs in grid:
        c = (1 - np.cos((e - s) * math.pi / epochs)) / 2
        (lr0, k), *_ = np.linalg.lstsq(np.stack([np.ones_like(c), c], 1), v, rcond=None)
        fits.append((float(np.abs(lr0 + k * c - v).max()), epochs, float(lr0), float(k)))
    fits.sort()
    chosen = fits[:2] + [f for f in fits if f[1] == log.n]
    for _, epochs, lr0, k in chosen:
        yield epochs, lr0, known.lrf if known.lrf is not None else 1 + k / lr0


def _snapped(log: _Log, kind: str, s: int, epochs: int, lr0: float, lrf: float,
             known: Known) -> tuple[float, float]:
    """The shortest decimals of ``lr0`` and ``lrf`` that still pass through the tail."""
    e, v = log.tail.astype(np.float64), log.values[log.tail]
    lr0s = [known.lr0] if known.lr0 is not None else _snaps(lr0)
    lrfs = [known.lrf] if known.lrf is not None else _snaps(lrf)
    for a, b in itertools.product(lr0s, lrfs):
        if _close(a * _lf(kind, e - s, epochs, b), v, log.rtol).all():
            return a, b
    return lr0s[-1], lrfs[-1]


def _warmup(log: _Log, spec: UltralyticsSchedule, lr0: float) -> Iterator[tuple[int, int]]:
    """``(nb, nw)`` from the leading epochs that sit below ``lr0 * lf(e)``."""
    ratios = []
    for e in range(log.n):
        target = lr0 * spec.lf(e)
        value = log.values[e]
        if not math.isfinite(value):
            continue
        if value >= target * (1 - 2 * log.rtol):
            break
        ratios.append((e, value / target))  # ((e + 1) * nb - 1) / nw
    if not ratios:
        yield 0, 0
        return
    if len(ratios) >= 2:
        at, q = (np.array(a, dtype=np.float64) for a in zip(*ratios, strict=True))
        slope, intercept = np.polyfit(at, q, 1)
        if slope > intercept:
            nw = 1 / (slope - intercept)
            for dw, db in itertools.product((0, -1, 1), (0, -1, 1)):
                yield max(round(slope * nw) + db, 1), max(round(nw) + dw, 1)
            yield from _by_warmup_epochs(slope * nw, 1 / slope)
    elif ratios[0][0] == 0:
        # one partial epoch (nb <= nw < 2 nb): its value gives (nb - 1) / nw alone; the
        # 100-iteration floor, then one and one and a half warm-up epochs, stand for it
        q0 = ratios[0][1]
        yield round(FLOOR * q0 + 1), FLOOR
        for epochs in (1.0, 1.5):
            if epochs * q0 < 1:
                nb = round(1 / (1 - epochs * q0))
                yield nb, round(epochs * nb)
    yield 0, 0  # the log's own warm-up unexplained: scored without one


def _by_warmup_epochs(nb_fit: float, ratio: float) -> Iterator[tuple[int, int]]:
    """``(nb, round(warmup_epochs * nb))`` for ``nb`` within 5 % of the fit: the slope gives
    ``nw / nb`` (the warm-up epochs) far better than the intercept gives ``nb`` when the log
    printed 5 digits and ``nb`` is in the hundreds."""
    spread = max(2, round(0.05 * nb_fit))
    centre = round(nb_fit)
    nearest = sorted(range(max(centre - spread, 1), centre + spread + 1),
                     key=lambda nb: abs(nb - nb_fit))  # the closest to the fit first
    for epochs in dict.fromkeys([round(ratio * 2) / 2, round(ratio, 1), round(ratio, 2)]):
        for nb in nearest:
            yield nb, round(epochs * nb)


def _warmup_fits(log: _Log, spec: UltralyticsSchedule, lr0: float) -> bool:
    """The weights group's warm-up epochs alone reproduced (before any full replay)."""
    k = min(spec.warmup_epochs(), log.n)
    replayed = np.array([spec.logged(lr0, e) for e in range(k)])
    values = log.values[:k]
    present = np.isfinite(values)
    return bool(_close(replayed[present], values[present], log.rtol).all())


def _bias_start(bias: FloatArray | None, spec: UltralyticsSchedule, lr0: float,
                known: Known) -> list[float]:
    """``warmup_bias_lr`` candidates from the bias group's first logged value."""
    if known.warmup_bias_lr is not None:
        return [known.warmup_bias_lr]
    if bias is None or spec.nw == 0 or not math.isfinite(bias[0]):
        return [0.1]
    f = min(spec.nb - 1, spec.nw) / spec.nw
    if f >= 1:
        return [0.1]
    # the default, and optimizer=auto's 0, before the decimals of the fit
    fitted = _snaps((float(bias[0]) - f * lr0 * spec.lf(0)) / (1 - f))
    return list(dict.fromkeys([0.1, 0.0, *fitted]))


def _score(spec: UltralyticsSchedule, lr0: float, groups: list[tuple[FloatArray, bool]],
           rtol: float) -> tuple[float, int | None]:
    """Share of the logged values (all groups) the replay reproduces; first bad epoch."""
    ok = total = 0
    first: int | None = None
    for values, bias in groups:
        replayed = lr_trajectory(replace(spec, bias=bias), lr0, values.size).lr
        present = np.isfinite(values)
        good = _close(replayed, values, rtol) & present
        ok += int(good.sum())
        total += int(present.sum())
        bad = np.flatnonzero(present & ~good)
        if bad.size and (first is None or bad[0] < first):
            first = int(bad[0])
    return (ok / total if total else 0.0), first


def infer_ultralytics(
    weights: npt.ArrayLike,
    bias: npt.ArrayLike | None = None,
    *,
    known: Known | None = None,
    rtol: float = 1e-6,
    top: int = 5,
) -> list[Candidate]:
    """Rank Ultralytics schedules by how many logged ``lr/pg*`` values they reproduce.

    Args:
        weights: a group without the bias warm-up (``lr/pg1``), one value per epoch index.
        bias: the bias group (``lr/pg0`` up to 8.3, ``lr/pg2`` in 8.4), if logged.
        known: what ``args.yaml`` fixes. Default: nothing.
        rtol: relative tolerance (:func:`printed_digits_rtol` for a results.csv).
        top: how many candidates to return.

    Returns:
        Candidates whose ``spec`` is the weights group's (the bias group's is the same spec
        with ``bias=True``) and whose score counts both groups' values.
    """
    known = known or Known()
    values = np.asarray(weights, dtype=np.float64).ravel()
    finite = np.flatnonzero(np.isfinite(values))
    if finite.size < 3:
        return []
    peak = int(finite[np.argmax(values[finite])])
    log = _Log(values, finite[finite > peak + 1], rtol)
    if log.tail.size < 2:
        return []
    b = None if bias is None else np.asarray(bias, dtype=np.float64).ravel()
    groups = [(values, False)] + ([(b, True)] if b is not None else [])
    found: dict[str, Candidate] = {}
    kinds = [known.kind] if known.kind else list(ULTRALYTICS_KINDS)
    for kind, stepped in itertools.product(kinds, ("start", "end")):
        s = int(stepped == "end")
        for epochs, lr0, lrf in _tail_fits(log, kind, s, known):
            if not (0 < lrf <= 1 and lr0 > 0 and epochs > 0):
                continue
            lr0, lrf = _snapped(log, kind, s, epochs, lr0, lrf, known)
            base = UltralyticsSchedule(kind, epochs, lrf, stepped=stepped)
            tried: set[tuple[int, int]] = set()
            for nb, nw in _warmup(log, base, lr0):
                spec = replace(base, nb=nb, nw=nw)
                if (nb, nw) in tried or (nw > 0 and nb > nw + 1) or (
                        len(tried) > 9 and not _warmup_fits(log, spec, lr0)):
                    continue  # past the first guesses, only those that fit the warm-up
                tried.add((nb, nw))
                for start in _bias_start(b, spec, lr0, known):  # shortest decimals first
                    spec = replace(spec, warmup_bias_lr=start)
                    score, first = _score(spec, lr0, groups, rtol)
                    found.setdefault(repr((spec, lr0)),
                                     Candidate(spec, lr0, score, "used", first))
                    if score == 1.0:
                        break
    return sorted(found.values(), key=_rank)[:top]


def _rank(c: Candidate) -> tuple[float, int, bool]:
    spec = c.spec
    digits = sum(len(f"{x:.6e}".split("e")[0].rstrip("0").replace(".", ""))
                 for x in (c.base_lr, getattr(spec, "lrf", 0.0),
                           getattr(spec, "warmup_bias_lr", 0.0)))
    return (-c.score, digits, getattr(spec, "stepped", "start") != "start")
