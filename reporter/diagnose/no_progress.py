"""No progress: the loss did not go down over the run.

A run whose loss ends where it started has not learned, whatever its curve looks like; no
spike or collapse detector fires on it, because nothing went wrong *after* a good phase.
"""

from __future__ import annotations

import numpy as np

from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve
from reporter.diagnose.spikes import centred_median
from reporter.report.filters import fmt_number

MIN_POINTS = 10
MIN_DECREASE = 0.05
TAIL_FRACTION = 0.1
TAIL_MIN_POINTS = 3
CRITERION = (
    f"over ≥{MIN_POINTS} logged points, the median of the last {TAIL_FRACTION:.0%} of them "
    f"(at least {TAIL_MIN_POINTS}) is less than {MIN_DECREASE:.0%} below the first logged "
    "value (a rise counts too; a run that first fell and then spiked, collapsed or diverged "
    "is reported by those detectors instead)"
)
CAVEAT = (
    "A loss that does not go down usually means the learning rate is too low (the weights "
    "barely move) or too high (every step overshoots), a bug in the loss or the labels (a "
    "target that does not match the output, a detached graph, a frozen model), or a model "
    "that cannot learn this task. Try a short run with a learning rate 10× higher and 10× "
    "lower, and check that the loss falls when training on a handful of examples."
)


def find_no_progress(curve: Curve) -> Finding | None:
    """A warning when the last points of ``curve`` are not clearly below its first value."""
    y = curve.y
    finite = np.isfinite(y)
    n = int(finite.sum())
    if n < MIN_POINTS:
        return None
    values = y[finite]
    first = float(values[0])
    k = max(TAIL_MIN_POINTS, int(TAIL_FRACTION * n))
    tail = float(np.median(values[-k:]))
    limit = first - MIN_DECREASE * abs(first)
    lowest = float(values.min())
    if tail < limit:
        return None
    change = (tail - first) / abs(first) if first else 0.0
    where = np.nonzero(finite)[0]
    return Finding(
        kind="no_progress",
        severity="warning",
        title=f"{curve.metric} did not go down over {n} logged {curve.axis}s "
        f"({fmt_number(first)} → {fmt_number(tail)})",
        metric=curve.metric,
        start=float(curve.x[where[0]]),
        end=float(curve.x[where[-1]]),
        evidence={
            "first_value": first,
            "first_at": float(curve.x[where[0]]),
            "last_value": float(values[-1]),
            "last_at": float(curve.x[where[-1]]),
            "tail_median": tail,
            "tail_points": k,
            "relative_change": change,
            "lowest": lowest,
            "lowest_at": float(curve.x[where[int(np.argmin(values))]]),
            "points": n,
            "axis": curve.axis,
        },
        criterion=CRITERION,
        caveats=(CAVEAT,),
    )


# ---------------------------------------------------------------- stall after an early drop

STALL_BAND = 0.025
STALL_SMOOTH_POINTS = 5
STALL_MIN_FRACTION = 0.7
STALL_MIN_LEVEL = 0.5
CHANCE_MAX_CLASSES = 20
CHANCE_TOLERANCE = 0.01
STALL_CRITERION = (
    f"over ≥{MIN_POINTS} logged points, from a point in the first "
    f"{1 - STALL_MIN_FRACTION:.0%} of the curve to its end (≥ {STALL_MIN_FRACTION:.0%} of the "
    f"points) every point, as the median of the {STALL_SMOOTH_POINTS} around it, stays within "
    f"±{STALL_BAND:.1%} of the median of that stretch, and that level is still ≥ "
    f"{STALL_MIN_LEVEL:g}× the first logged value (the loss stopped improving early, well above "
    "where a run that learns ends); the level is named as the chance level ln(k) of a k-class "
    f"task when it is within {CHANCE_TOLERANCE:.0%} of ln(k) for some k from 2 to "
    f"{CHANCE_MAX_CLASSES}"
)
STALL_CAVEAT = (
    "A loss that falls a little and then stays in a narrow band for most of the run has "
    "stopped learning: at the chance level the model predicts the class prior, whatever the "
    "input. Check that the labels match the inputs (a shuffled or constant label column), that "
    "the model's output is not detached or frozen, and the learning rate's order of magnitude."
)


def find_stall(curve: Curve) -> Finding | None:
    """A warning when ``curve`` stops improving early and stays in a narrow band to the end."""
    y = curve.y
    finite = np.isfinite(y)
    n = len(y)
    if finite.sum() < MIN_POINTS or not finite[-1]:
        return None
    begin = _band_start(y)
    if begin is None or n - begin < STALL_MIN_FRACTION * n:
        return None
    first = float(y[np.argmax(finite)])
    tail = y[begin:][finite[begin:]]
    level = float(np.median(tail))
    if first <= 0 or level < STALL_MIN_LEVEL * first:
        return None
    classes = _chance_classes(level)
    chance = f", the chance level ln {classes} of a task with {classes} classes" if classes \
        else ""
    return Finding(
        kind="stall",
        severity="warning",
        title=f"{curve.metric} stopped improving at {curve.label(begin)} and stayed at "
        f"{fmt_number(level)}{chance} for the remaining {n - begin} logged {curve.axis}s",
        metric=curve.metric,
        start=float(curve.x[begin]),
        end=float(curve.x[-1]),
        evidence={
            "first_value": first,
            "level": level,
            "level_to_first": level / first,
            "band": STALL_BAND,
            "stall_points": n - begin,
            "points": n,
            "chance_classes": classes,
            "chance_level": float(np.log(classes)) if classes else None,
            "axis": curve.axis,
        },
        criterion=STALL_CRITERION,
        caveats=(STALL_CAVEAT,),
    )


def _band_start(y: np.ndarray) -> int | None:
    """First position from which the smoothed curve stays within the band around the median
    of the stretch (the band's centre is refined once from the last half)."""
    n = len(y)
    med = centred_median(y, STALL_SMOOTH_POINTS)
    begin = n // 2
    for _ in range(2):
        level = float(np.nanmedian(y[begin:]))
        if not np.isfinite(level) or level <= 0:
            return None
        outside = np.nonzero(~(np.abs(med / level - 1.0) <= STALL_BAND))[0]
        begin = int(outside[-1]) + 1 if len(outside) else 0
        if begin >= n:
            return None
    return begin


def _chance_classes(level: float) -> int | None:
    for k in range(2, CHANCE_MAX_CLASSES + 1):
        if abs(level / np.log(k) - 1.0) <= CHANCE_TOLERANCE:
            return k
    return None


# ---------------------------------------------------------------- slow divergence

RISE_RATIO = 1.2
RISE_MIN_RATIO = 1.05
RISE_NOISE_MULTIPLE = 8.0
RISE_MIN_Z = 2.0  # any rise: standard errors above the lowest level's chance dip
RISE_SMOOTH_FRACTION = 0.05
RISE_TAIL_FRACTION = 0.1
RISE_MIN_POINTS = 5
RISE_SMOOTH_MIN = 9
RISE_MIN_SPAN = 10
RISE_SPAN_FRACTION = 0.2
RISE_FLOOR_SHARE = 0.1
RISE_PEAK_SHARE = 0.5
RISE_CRITERION = (
    f"over ≥{MIN_POINTS} logged points, the median of the last {RISE_TAIL_FRACTION:.0%} of the "
    f"points (at least {RISE_MIN_POINTS}) is ≥ {RISE_RATIO:g}× the lowest level of the curve "
    f"(its running median over {RISE_SMOOTH_FRACTION:.0%} of the points, at least "
    f"{RISE_SMOOTH_MIN}), or ≥ {RISE_MIN_RATIO:g}× it on a quiet curve where that rise is ≥ "
    f"{RISE_NOISE_MULTIPLE:g}× its own standard error (the points' scatter about the running "
    "median, 1.25 × 1.4826 × the median absolute log distance, over the square roots of the "
    "tail's and the running median's point counts); any rise also ≥ "
    f"{RISE_MIN_Z:g} such standard errors above the lowest level's chance dip (the lowest "
    "of about n / w running medians of w points lies √(2 ln(n / w)) of one running median's "
    "error below the level on a flat noisy curve); the lowest level reached ≥ "
    f"max({RISE_MIN_SPAN}, {RISE_SPAN_FRACTION:.0%} of the points) before the end, with no "
    "spike, collapse or divergence that explains the rise; the onset is where the curve left "
    f"its floor: the last point before the rise within {RISE_FLOOR_SHARE:.0%} of the rise "
    "above the lowest level; the running median's highest point after the onset is in the "
    f"last {1 - RISE_PEAK_SHARE:.0%} of the stretch from the onset to the end (still "
    "climbing late: a step up that has been coming down since is not a slow divergence)"
)
RISE_CAVEAT = (
    "A training loss that turns and climbs slowly, without a jump, usually means the updates "
    "are too large for the region the model has reached (a learning rate that stays high, or "
    "rises with a warm restart), or a data stream that drifts (a shuffling bug, a curriculum "
    "that reaches harder data). Compare the turn with the logged learning rate and with the "
    "data order."
)


def find_slow_divergence(curve: Curve) -> Finding | None:
    """A warning when the training loss turns up gradually and ends well above its lowest."""
    y = curve.y
    n = len(y)
    if np.isfinite(y).sum() < MIN_POINTS or not np.isfinite(y[-1]):
        return None
    w = max(RISE_SMOOTH_MIN, int(RISE_SMOOTH_FRACTION * n))
    smooth = centred_median(y, w)
    if not np.isfinite(smooth).any():
        return None
    low = int(np.nanargmin(smooth))
    k = max(RISE_MIN_POINTS, int(RISE_TAIL_FRACTION * n))
    end = float(np.nanmedian(y[-k:]))
    lowest = float(smooth[low])
    span = max(RISE_MIN_SPAN, int(RISE_SPAN_FRACTION * n))
    if lowest <= 0 or n - 1 - low < span or end < RISE_MIN_RATIO * lowest:
        return None
    error, dip = _rise_error(y, smooth, k, w)
    rise = float(np.log(end / lowest))
    if end < RISE_RATIO * lowest and not rise >= RISE_NOISE_MULTIPLE * error:
        return None
    if not rise >= RISE_MIN_Z * error + dip:
        return None  # within the scatter of a flat noisy curve: its lowest median dipped
    turn = _left_floor(smooth, low, n - k, lowest + RISE_FLOOR_SHARE * (end - lowest))
    top = turn + int(np.nanargmax(smooth[turn:]))
    if top - turn < RISE_PEAK_SHARE * (n - 1 - turn):
        return None  # it jumped early and has come down since: a step, not a slow climb
    return Finding(
        kind="slow_divergence",
        severity="warning",
        title=f"{curve.metric} turned up at {curve.label(turn)} and rose slowly to "
        f"{fmt_number(end)}, {end / lowest:.2g}× its lowest level {fmt_number(lowest)}",
        metric=curve.metric,
        start=float(curve.x[turn]),
        end=float(curve.x[-1]),
        evidence={
            "lowest_level": lowest,
            "lowest_at": float(curve.x[low]),
            "turn_at": float(curve.x[turn]),
            "highest_at": float(curve.x[top]),
            "end_level": end,
            "ratio": end / lowest,
            "rise_error": error,
            "smoothing_points": w,
            "tail_points": k,
            "axis": curve.axis,
        },
        criterion=RISE_CRITERION,
        caveats=(RISE_CAVEAT,),
    )


def _rise_error(y: np.ndarray, smooth: np.ndarray, k: int, w: int) -> tuple[float, float]:
    """The standard error of ``log(tail median / lowest running median)`` and the lowest
    running median's chance dip: the points' scatter about the running median (a robust σ of
    the log distances) over the square roots of the point counts of the two medians (1.25: a
    median's error over a mean's); the dip, √(2 ln(n / w)) times one running median's error
    (the expected lowest of about n / w independent medians of ``w`` points)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.abs(np.log(y / smooth))
    dist = dist[np.isfinite(dist)]
    if not len(dist):
        return float("inf"), float("inf")
    sigma = 1.25 * 1.4826 * float(np.median(dist))
    dip = float(np.sqrt(2 * np.log(max(len(y) / w, 1.0)))) * sigma / np.sqrt(w)
    return sigma * float(np.sqrt(1 / k + 1 / w)), dip


def _left_floor(smooth: np.ndarray, low: int, stop: int, floor: float) -> int:
    """The last position in ``[low, stop)`` whose running median is at or below ``floor``
    (where the curve left its lowest level and began to rise)."""
    part = smooth[low:max(stop, low + 1)]
    near = np.flatnonzero(part <= floor)
    return low + int(near[-1]) if len(near) else low
