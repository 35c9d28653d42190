"""The plateau option: a faster reaction (patience, factor), a floor, and tighter clipping.

The patience is derived from the run with a margin: the largest patience below the current
(or the framework's default) whose reduction takes effect at least one point before the spike
on the recorded curve, and before the spike on most copies of that curve perturbed by its own
noise, so that a slightly different curve still triggers it in time.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

import replay
from reporter.config.semantics import is_plateau
from reporter.remedies.plan import Context, Option, Plan, Relative
from reporter.remedies.rounding import round_sig

FAST_FACTOR = 0.5
CLIP_QUANTILE = 0.9  # of the pre-spike grad norms
FLOOR_FRACTION = 0.01  # min_lr as a fraction of the base LR, when the replay falls below it
PERTURBED_COPIES = 100
ROBUST_SHARE = 0.9  # of the perturbed copies on which the reduction must come in time
MIN_NOISE = 0.02  # perturb by at least 2 % per point, even a smooth curve
MARGIN_POINTS = 1  # points between the reduction taking effect and the spike's onset


def faster_plateau(base: Plan, ctx: Context) -> Option:
    """Add (or speed up) a plateau rule, with tighter clipping."""
    current = base.scheduler if is_plateau(base.scheduler) else None
    keras = ctx.framework == "keras"
    start = current or (replay.KerasReduceLROnPlateau() if keras else replay.ReduceLROnPlateau())
    # a new rule halves the LR (the frameworks' default 0.1 divides it by ten each time)
    factor = min(start.factor, FAST_FACTOR) if current is not None else FAST_FACTOR
    whose = "the current" if current is not None else (
        "Keras' default" if keras else "torch's default")
    patience, why = choose_patience(base, start, factor, ctx, whose)
    rationale = [why]
    if factor != start.factor:
        rationale.append(
            f"factor {factor:g} instead of {whose} {start.factor:g}: each reduction halves the "
            "LR" + ("" if current is not None else " rather than dividing it by ten"))
    spec = replace(start, patience=patience, factor=factor)
    changes: dict[str, Any] = {"scheduler.patience": patience}
    if current is None:
        changes = {"scheduler": spec}
    elif factor != start.factor:
        changes["scheduler.factor"] = factor
    spec, floor_why = _floor(base, spec, ctx, changes)
    if floor_why:
        rationale.append(floor_why)
    if current is None:
        changes["scheduler"] = spec
    clip, clip_why = tighter_clip(base, ctx)
    if clip is not None:
        changes["clip_grad_norm"] = clip
        rationale.append(clip_why)
    plan = replace(
        base, scheduler=spec, clip_grad_norm=clip if clip is not None else base.clip_grad_norm,
        observed_scale=None,
    )
    if current is not None:
        title = "Faster plateau reaction"
    elif ctx.per_step_spec is not None or not isinstance(base.scheduler, replay.ConstantSchedule):
        title = "Switch to a plateau rule"
    else:
        title = "Add a plateau rule"
    title += " and tighter clipping" if base.clip_grad_norm else " and gradient clipping"
    return Option("faster_plateau", title, plan, changes, rationale)


def _floor(base: Plan, spec: Any, ctx: Context, changes: dict[str, Any]) -> tuple[Any, str]:
    """A ``min_lr`` when the replay drives the LR below ``FLOOR_FRACTION`` of the base."""
    n = len(ctx.metric)
    traj = replay.lr_trajectory(spec, base.learning_rate, n, ctx.metric)
    lr = np.asarray(traj.lr, dtype=float)
    floor = base.learning_rate * FLOOR_FRACTION
    low = np.nonzero(lr < floor * (1 - 1e-9))[0]
    if not len(low) or spec.min_lr >= floor:
        return spec, ""
    value = round_sig(floor)
    first, lowest = int(low[0]), float(lr.min())
    why = (f"min_lr {value:g} ({FLOOR_FRACTION:.0%} of the base LR): without a floor the replay "
           f"over the recorded {ctx.metric_name} takes the LR to {lowest:.3g} "
           f"({lowest / base.learning_rate:.0e}× the base) by {ctx.at(int(lr.argmin()))}, "
           f"below 1% of it from {ctx.at(first)} on (conditional replay)")
    if base.learning_rate_assumed:
        changes["scheduler.min_lr"] = Relative(FLOOR_FRACTION, "the learning rate you used")
        why = why.replace(f"min_lr {value:g} (", "min_lr = ", 1).replace(
            "of the base LR)", "of the learning rate you used; the base LR is only assumed)", 1)
    elif "scheduler" not in changes:
        changes["scheduler.min_lr"] = value
    return replace(spec, min_lr=value), why


def choose_patience(
    base: Plan, start: Any, factor: float, ctx: Context, whose: str
) -> tuple[int, str]:
    """The patience, and the sentence that says how it was chosen."""
    sigma = curve_noise(ctx.metric, ctx.onset)
    copies = perturbed(ctx.metric, sigma, ctx.onset)
    fallback = None
    for p in range(start.patience - 1, 0, -1):
        lead = _lead(base, start, p, factor, ctx.metric, ctx.onset)
        if lead is None or lead < 0:
            continue
        fallback = fallback if fallback is not None else p
        if lead < MARGIN_POINTS:
            continue
        leads = [_lead(base, start, p, factor, c, ctx.onset) for c in copies]
        share = float(np.mean([x is not None and x >= 0 for x in leads])) if leads else 0.0
        if share >= ROBUST_SHARE:
            return p, (
                f"patience {p} is the largest below {whose} {start.patience} whose exact replay "
                f"over the recorded {ctx.metric_name} lowers the LR at least "
                f"{MARGIN_POINTS} {ctx.axis} before the spike, and before it on {share:.0%} of "
                f"{len(copies)} copies of the curve with each earlier point moved by random "
                f"noise of {sigma:.1%} (its own noise, at least {MIN_NOISE:.0%}; seeded): "
                "chosen with a margin, not fitted to this one curve")
    if fallback is not None:
        return fallback, (
            f"patience {fallback} is the largest below {whose} {start.patience} whose exact "
            f"replay over the recorded {ctx.metric_name} lowers the LR before the spike; no "
            f"patience does so with a margin of {MARGIN_POINTS} {ctx.axis} and on "
            f"{ROBUST_SHARE:.0%} of perturbed copies of the curve, so this value is fitted to "
            "this one curve and a slightly different run may not trigger it in time")
    patience = max(1, start.patience // 2)
    return patience, (
        f"no patience could lower the LR before the spike; patience {patience} (half of "
        f"{whose} {start.patience}) at least reacts sooner afterwards")


def _lead(base: Plan, start: Any, patience: int, factor: float, metric: Any,
          onset: int | None) -> int | None:
    """Points between the first reduction taking effect and the onset (None: no reduction).

    ``metric`` is an array or a ``Copy``: anything whose ``[:n]`` gives its first n points."""
    if onset is None:
        return None
    spec = replace(start, patience=patience, factor=factor)
    # what comes after the onset cannot move a reduction before it
    first = first_reduction(spec, base.learning_rate, metric, onset + 1)
    return None if first is None else onset - (first + 1)


FIRST_PREFIX = 1024  # points replayed first when looking for the first reduction


def first_reduction(spec: Any, lr: float, metric: Any, n: int) -> int | None:
    """Index of the first ``reduce`` event of the replay of ``spec`` over ``metric[:n]``.

    The plateau rules are online (a step sees only the metrics before it), so the first
    reduction of a prefix is the first reduction of the whole: the replay runs over a prefix
    of ``FIRST_PREFIX`` points, eight times longer each time it finds none, up to ``n``. On a
    noisy million-point curve a small patience fires within the first few hundred points.
    """
    length = min(n, FIRST_PREFIX)
    while True:
        first = replay.lr_trajectory(spec, lr, length, metric[:length]).first("reduce")
        if first is not None or length >= n:
            return None if first is None else first.index
        length = min(n, 8 * length)


def curve_noise(metric: np.ndarray, onset: int | None) -> float:
    """The curve's relative noise per point before the spike: the robust spread (1.4826 ×
    median absolute deviation) of the second differences of log(loss), divided by √6 (their
    spread for independent noise of that size); at least ``MIN_NOISE``."""
    y = np.asarray(metric[:onset], dtype=float)
    y = y[np.isfinite(y) & (y > 0)]
    if len(y) < 4:
        return MIN_NOISE
    d2 = np.diff(np.log(y), 2)
    mad = float(np.median(np.abs(d2 - np.median(d2))))
    return max(MIN_NOISE, 1.4826 * mad / np.sqrt(6.0))


def perturbed(metric: np.ndarray, sigma: float, onset: int | None) -> Perturbed:
    """Copies of the curve with each point before the onset multiplied by exp(N(0, σ²))."""
    return Perturbed(np.asarray(metric, dtype=float), sigma, onset)


class Perturbed:
    """The perturbed copies, drawn one at a time and the same on every pass (seeded): a
    hundred copies of a million-point curve would take 800 MB at once (issue 8, item 8).

    Copy k draws its noise from its own generator, ``np.random.default_rng(k)``, so each copy's
    first points can be drawn without the rest: a replay that finds its first reduction within
    the first thousand points draws a thousand normals, not one per point before the onset.
    """

    def __init__(self, y: np.ndarray, sigma: float, onset: int | None) -> None:
        self.y, self.sigma, self.onset = y, sigma, onset

    def __len__(self) -> int:
        return 0 if self.onset is None else PERTURBED_COPIES

    def __iter__(self):
        for k in range(len(self)):
            yield Copy(self.y, self.sigma, self.onset or 0, seed=k)


class Copy:
    """One perturbed copy: ``y[i] × exp(N(0, σ²))`` before the onset, ``y[i]`` from it on.

    The normals are drawn in order as far as a read needs them (drawing them in parts gives
    the same numbers as drawing them at once)."""

    def __init__(self, y: np.ndarray, sigma: float, onset: int, *, seed: int) -> None:
        self.y, self.sigma, self.onset = y, sigma, min(onset, len(y))
        self._rng = np.random.default_rng(seed)
        self._normals = np.zeros(0)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, key: slice) -> np.ndarray:
        """The copy's points ``key`` (a slice from the start: ``copy[:n]``)."""
        if not isinstance(key, slice) or key.start not in (None, 0) or key.step not in (None, 1):
            raise TypeError("a perturbed copy is read by prefix: copy[:n]")
        n = len(self.y) if key.stop is None else min(key.stop, len(self.y))
        k = min(n, self.onset)
        if k > len(self._normals):
            more = self._rng.normal(0.0, self.sigma, k - len(self._normals))
            self._normals = np.concatenate([self._normals, more])
        out = self.y[:n].copy()
        out[:k] = self.y[:k] * np.exp(self._normals[:k])
        return out


def tighter_clip(base: Plan, ctx: Context) -> tuple[float | None, str]:
    """A max norm from the pre-spike gradient norms, or half the current one, or 1.0."""
    g = ctx.grad_norm
    if g is not None and ctx.onset is not None and ctx.onset >= 3:
        before = g[: ctx.onset]
        before = before[np.isfinite(before)]
        if len(before) >= 3:
            clip = round_sig(float(np.quantile(before, CLIP_QUANTILE)))
            if base.clip_grad_norm is None or clip < base.clip_grad_norm:
                return clip, (
                    f"max_norm {clip:g} = the {CLIP_QUANTILE:.0%} quantile of the logged gradient "
                    f"norm over the {len(before)} points before the spike: it leaves most earlier "
                    "updates alone, bounds outliers"
                )
    if base.clip_grad_norm:
        clip = round_sig(base.clip_grad_norm / 2)
        return clip, (
            f"max_norm {clip:g} = half the current {base.clip_grad_norm:g}; no usable "
            "gradient-norm log, so this value is a rule of thumb, not derived from the run"
        )
    return (
        1.0,
        "max_norm 1.0: the run did not clip; 1.0 is the common default (not derived from the run)",
    )

